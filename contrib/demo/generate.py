#!/usr/bin/env python3
"""Writes the demo's fictional data (contrib/demo/README.md says what it is).

    python3 contrib/demo/generate.py [DIR]     (default: this script's folder)

Deterministic: the same seed gives the same bytes, and the files checked in
are what it writes (tests/integration/test_demo.sh checks that). Names and
phone numbers are drawn from pools and digits: no real person is meant.
"""
import os
import random
import sys

SEED = 10          # issue 10
YEAR = 2026        # ages are counted in this year

# The 26 PMKS categories of Permensos 08/2012 as slugs, in the regulation's
# order (README.md in this folder has the official names).
PMKS = [
    "anak_balita_terlantar", "anak_terlantar", "anak_berhadapan_hukum",
    "anak_jalanan", "anak_disabilitas", "anak_korban_kekerasan",
    "anak_perlindungan_khusus", "lansia_terlantar", "penyandang_disabilitas",
    "tuna_susila", "gelandangan", "pengemis", "pemulung", "kelompok_minoritas",
    "bwblp", "odha", "korban_napza", "korban_trafficking", "korban_kekerasan",
    "pekerja_migran_bermasalah", "korban_bencana_alam", "korban_bencana_sosial",
    "perempuan_rawan_sosek", "fakir_miskin",
    "keluarga_bermasalah_sosial", "komunitas_adat_terpencil",
]

# Kinds of groups in a community's directory (kelompok.txt).
KINDS = [
    "arisan", "majelis_taklim", "remaja_masjid", "karang_taruna",
    "pkk_dasawisma", "posyandu", "kelompok_tani", "kube", "koperasi",
]

# Who a case is about: a household, or a member within an age range (and sex).
HOUSEHOLD = None
PERSON = {
    "anak_balita_terlantar": (0, 4, None), "anak_terlantar": (5, 17, None),
    "anak_berhadapan_hukum": (12, 17, None), "anak_jalanan": (7, 17, None),
    "anak_disabilitas": (2, 17, None), "anak_korban_kekerasan": (5, 17, None),
    "anak_perlindungan_khusus": (5, 17, None), "lansia_terlantar": (60, 88, None),
    "penyandang_disabilitas": (18, 70, None), "pengemis": (30, 75, None),
    "pemulung": (18, 60, None), "bwblp": (20, 50, "L"), "odha": (20, 50, None),
    "korban_napza": (16, 35, "L"), "korban_kekerasan": (18, 55, "P"),
    "pekerja_migran_bermasalah": (20, 45, None),
    "perempuan_rawan_sosek": (18, 59, "P"),
}

# Open cases per community and category: most counts are 5 or more, a few
# are 1 to 4 (hidden at the source, k = 5). (alias, kelurahan, what, name,
# households, {category: open cases}, closed cases, {kind: groups}, file style)
COMMUNITIES = [
    ("biru-rt02", "Biru", "rt", "RT 002/RW 003 Kelurahan Biru", 30,
     {"fakir_miskin": 11, "lansia_terlantar": 6, "penyandang_disabilitas": 5,
      "perempuan_rawan_sosek": 7, "anak_terlantar": 6, "anak_balita_terlantar": 5,
      "korban_napza": 1},
     2, {"arisan": 5, "majelis_taklim": 3, "pkk_dasawisma": 4, "posyandu": 1,
         "remaja_masjid": 3, "kube": 3}, "excel"),
    ("biru-taklim", "Biru", "majelis_taklim", "Majelis Taklim Nurul Falah Biru", 28,
     {"fakir_miskin": 8, "lansia_terlantar": 9, "perempuan_rawan_sosek": 12,
      "anak_balita_terlantar": 5, "keluarga_bermasalah_sosial": 6,
      "penyandang_disabilitas": 5},
     1, {"majelis_taklim": 4, "arisan": 3, "remaja_masjid": 3, "kube": 3}, "plain"),
    ("manurunge-rw05", "Manurunge", "rw", "RW 005 Kelurahan Manurunge", 36,
     {"fakir_miskin": 14, "anak_jalanan": 5, "pemulung": 6, "lansia_terlantar": 7,
      "anak_terlantar": 6, "penyandang_disabilitas": 5, "korban_napza": 2,
      "anak_berhadapan_hukum": 1, "bwblp": 1},
     3, {"arisan": 6, "majelis_taklim": 3, "karang_taruna": 1, "pkk_dasawisma": 5,
         "posyandu": 3, "kube": 3, "koperasi": 1}, "plain"),
    ("manurunge-pkk", "Manurunge", "pkk", "Dasawisma Melati PKK Manurunge", 24,
     {"perempuan_rawan_sosek": 9, "korban_kekerasan": 3, "anak_balita_terlantar": 6,
      "fakir_miskin": 7, "lansia_terlantar": 5},
     1, {"pkk_dasawisma": 4, "arisan": 4, "posyandu": 3, "kube": 3}, "plain"),
    ("watampone-rt01", "Watampone", "rt", "RT 001/RW 002 Kelurahan Watampone", 30,
     {"fakir_miskin": 9, "lansia_terlantar": 5, "penyandang_disabilitas": 6,
      "anak_disabilitas": 2, "pengemis": 5, "anak_terlantar": 5},
     2, {"arisan": 4, "majelis_taklim": 3, "karang_taruna": 1, "pkk_dasawisma": 3,
         "posyandu": 3, "koperasi": 3}, "plain"),
    ("watampone-arisan", "Watampone", "arisan", "Arisan Ibu-Ibu Sipakainge Watampone", 22,
     {"fakir_miskin": 6, "perempuan_rawan_sosek": 5, "lansia_terlantar": 5,
      "keluarga_bermasalah_sosial": 5},
     1, {"arisan": 3, "majelis_taklim": 3, "kube": 3}, "plain"),
    ("pappolo-rt04", "Pappolo", "rt", "RT 004/RW 001 Kelurahan Pappolo", 34,
     {"fakir_miskin": 12, "korban_bencana_alam": 10, "lansia_terlantar": 6,
      "anak_terlantar": 5, "penyandang_disabilitas": 5, "pekerja_migran_bermasalah": 3},
     2, {"kelompok_tani": 5, "arisan": 3, "majelis_taklim": 3, "posyandu": 3,
         "karang_taruna": 1, "kube": 3}, "plain"),
]

MEN = ["Baharuddin", "Syamsuddin", "Hasanuddin", "Kaharuddin", "Jumardin",
       "Sahabuddin", "Haeruddin", "Nasrullah", "Mustari", "Mansyur", "Takdir",
       "Suardi", "Rusdi", "Asrul", "Ilham", "Akbar", "Abdul Rasyid",
       "Muhammad Saleh", "Beddu", "Baso", "Lacce", "Mappa", "Ambo Tuwo",
       "La Tenri", "Sudirman", "Hamzah", "Arifuddin", "Muh. Yunus", "Darwis",
       "Idris", "Sukri", "Amiruddin"]
WOMEN = ["Hasnah", "Nurhayati", "Hasmawati", "Sitti Rahma", "Hadijah",
         "Nurjannah", "Rosmiati", "Mardiana", "Nurbaya", "Darmawati", "Haslinda",
         "Jumriani", "Sumarni", "Hamsiah", "Ramlah", "Satriani", "Nurhaedah",
         "Kasmawati", "Fatmawati", "Wahida", "Husniah", "Syamsiah", "Besse",
         "Becce", "Indo Upe", "Cenning", "Sitti Aisyah", "Marwah", "Rahmatia",
         "Nurlina", "Salmia", "Asmirah"]
BOYS = ["Muh. Fadli", "Aldi", "Rezky", "Ahmad Fauzan", "Rifky", "Fahri",
        "Irfan", "Aswar", "Fikri", "Agung", "Reza", "Alif", "Syahrul", "Nabil"]
GIRLS = ["Nur Alya", "Aisyah", "Fitri", "Nabila", "Zaskia", "Nurul Izzah",
         "Salsabila", "Aulia", "Putri", "Zahra", "Inayah", "Wulan", "Alfiah"]
ASSISTANCE = ["PKH", "BPNT", "PKH, BPNT", "KIS-PBI", "ATENSI", "santunan masjid",
              "belum ada"]
MEETINGS = ["Senin malam", "Selasa sore", "Kamis malam", "Jumat sore",
            "Sabtu pagi", "Minggu pagi", "tanggal 5 tiap bulan",
            "tanggal 15 tiap bulan", "tiap akhir bulan"]
GROUP_NAMES = {
    "arisan": ["Arisan Sipakatau", "Arisan Sipakalebbi", "Arisan Ibu-Ibu Lorong {n}",
               "Arisan Bapak-Bapak RT", "Arisan Mammesa", "Arisan Siamasei"],
    "majelis_taklim": ["Majelis Taklim Al-Ikhlas", "Majelis Taklim Nurul Iman",
                       "Majelis Taklim Babussalam", "Majelis Taklim An-Nisa"],
    "remaja_masjid": ["Remaja Masjid Al-Markaz", "Ikatan Remaja Masjid Nurul Huda"],
    "karang_taruna": ["Karang Taruna Tunas Harapan", "Karang Taruna Sipatuo"],
    "pkk_dasawisma": ["Dasawisma Mawar", "Dasawisma Anggrek", "Dasawisma Kenanga",
                      "Dasawisma Melati", "Dasawisma Cempaka"],
    "posyandu": ["Posyandu Mawar {n}", "Posyandu Sehati"],
    "kelompok_tani": ["Kelompok Tani Sipurennu", "Kelompok Tani Mattiro Deceng",
                      "Kelompok Tani Sumange", "Kelompok Tani Wanua Baru",
                      "Kelompok Tani Assiturusseng"],
    "kube": ["KUBE Jahit Sipakainge", "KUBE Kue Tradisional", "KUBE Ternak Ayam",
             "KUBE Warung Sembako"],
    "koperasi": ["Koperasi Simpan Pinjam Sejahtera", "Koperasi Wanita Siamasei"],
}


def name(rng, pool, father=None):
    """A Bugis-style name: a given name, often followed by the father's."""
    given = rng.choice(pool)
    if father and rng.random() < 0.5:
        return f"{given} {father.split()[0]}"
    return given


def household(rng, hid, rt, rw):
    """A household as (row, members): the head, maybe a spouse, children, elders."""
    members = []
    head_sex = "P" if rng.random() < 0.2 else "L"
    head_age = rng.randint(26, 72)
    head = name(rng, MEN if head_sex == "L" else WOMEN)
    members.append(("kepala_keluarga", head, head_sex, head_age))
    if head_sex == "L" and rng.random() < 0.85:
        members.append(("istri", name(rng, WOMEN), "P", max(20, head_age - rng.randint(0, 8))))
    for _ in range(rng.choice([0, 1, 1, 2, 2, 3, 4])):
        age = rng.randint(0, max(0, min(head_age - 18, 30)))
        boy = rng.random() < 0.5
        members.append(("anak", name(rng, BOYS if boy else GIRLS, head), "L" if boy else "P", age))
    if head_age < 50 and rng.random() < 0.2:
        sex = rng.choice("LP")
        members.append(("orang_tua", name(rng, MEN if sex == "L" else WOMEN), sex,
                        head_age + rng.randint(22, 30)))
    row = {"id": hid, "kepala_keluarga": head, "anggota": len(members), "rt": rt, "rw": rw,
           "alamat": f"Lr. {rng.randint(1, 6)} No. {rng.randint(1, 40)}",
           "telepon": f"08{rng.choice(['12', '13', '52', '53', '21', '22'])}0000{rng.randint(0, 9999):04d}"}
    return row, members


def fits(member, category):
    low, high, sex = PERSON[category]
    _, _, msex, age = member
    return low <= age <= high and (sex is None or sex == msex)


def community(rng, spec):
    alias, _, what, _, nhouse, open_cases, closed, kinds, _ = spec
    # An RT's households are all in it; a group's members live in several RTs.
    rw_no = {"biru-rt02": "003", "watampone-rt01": "002", "pappolo-rt04": "001"}.get(alias, "005")
    houses, people = [], []
    for i in range(1, nhouse + 1):
        rt_no = "00" + alias[-1] if what == "rt" else f"00{rng.randint(1, 5)}"
        row, members = household(rng, f"h-{i:03d}", rt_no, rw_no)
        houses.append([row, members])
    # Cases: every open one, then the closed ones (status selesai), each about
    # a household or a fitting member no other case of that category names.
    wanted = []
    for category, n in open_cases.items():
        wanted += [(category, "aktif")] * n
    for _ in range(closed):
        wanted.append((rng.choice(sorted(open_cases)), "selesai"))
    used = set()
    cases = []
    for category, status in wanted:
        if category in PERSON:
            spots = [(h, j) for h, (_, ms) in enumerate(houses) for j, m in enumerate(ms)
                     if fits(m, category) and (category, h, j) not in used]
            if not spots:
                # No one fits: a relative of that age joins a household.
                h = rng.randrange(len(houses))
                low, high, sex = PERSON[category]
                sex = sex or rng.choice("LP")
                age = rng.randint(low, high)
                if age < 18:
                    who = ("anak", name(rng, BOYS if sex == "L" else GIRLS, houses[h][0]["kepala_keluarga"]), sex, age)
                else:
                    who = ("famili", name(rng, MEN if sex == "L" else WOMEN), sex, age)
                houses[h][1].append(who)
                houses[h][0]["anggota"] += 1
                spots = [(h, len(houses[h][1]) - 1)]
            h, j = rng.choice(spots)
        else:
            spots = [h for h in range(len(houses)) if (category, h, None) not in used]
            h, j = rng.choice(spots), None
        used.add((category, h, j))
        cases.append((category, status, h, j))
    # Member ids follow the households' order.
    ids = {}
    for h, (row, members) in enumerate(houses):
        for j, (rel, who, sex, age) in enumerate(members):
            mid = f"m-{len(people) + 1:03d}"
            ids[(h, j)] = mid
            people.append({"id": mid, "rumah_tangga": row["id"], "nama": who,
                           "jenis_kelamin": sex, "tahun_lahir": YEAR - age, "hubungan": rel})
    case_rows = []
    for n, (category, status, h, j) in enumerate(rng.sample(cases, len(cases)), 1):
        case_rows.append({"id": f"k-{n:03d}", "rumah_tangga": houses[h][0]["id"],
                          "anggota": ids[(h, j)] if j is not None else "",
                          "kategori": category,
                          "sejak": f"{rng.randint(2019, 2026)}-{rng.randint(1, 11):02d}-{rng.randint(1, 28):02d}",
                          "status": status, "bantuan": rng.choice(ASSISTANCE)})
    groups = []
    for kind in KINDS:
        n = kinds.get(kind, 0)
        pool = GROUP_NAMES[kind]
        # Distinct names: the pool's, then numbered ones past its end.
        labels = rng.sample(pool, min(n, len(pool))) + [f"{pool[0]} {i}" for i in range(2, n - len(pool) + 2)]
        for label in labels:
            label = label.format(n=rng.randint(1, 9))
            groups.append({"id": f"g-{len(groups) + 1:02d}", "nama": label, "jenis": kind,
                           "ketua": name(rng, WOMEN if kind in ("pkk_dasawisma", "posyandu") else MEN + WOMEN),
                           "anggota": rng.randint(8, 40), "pertemuan": rng.choice(MEETINGS)})
    return {"households": [h[0] for h in houses], "members": people,
            "cases": case_rows, "groups": groups}


def write_csv(path, rows, style):
    """'excel': ';' with a BOM and CRLF, as Indonesian spreadsheets save CSV."""
    sep, end, bom = (";", "\r\n", "\ufeff") if style == "excel" else (",", "\n", "")
    fields = list(rows[0])
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(bom + sep.join(fields) + end)
        for row in rows:
            cells = []
            for k in fields:
                v = str(row[k])
                if sep in v or '"' in v:
                    v = '"' + v.replace('"', '""') + '"'
                cells.append(v)
            f.write(sep.join(cells) + end)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    rng = random.Random(SEED)
    with open(os.path.join(out, "pmks.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(PMKS) + "\n")
    with open(os.path.join(out, "kelompok.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(KINDS) + "\n")
    # demo.sh reads this file with the shell: no field holds a comma.
    assert not any("," in field for c in COMMUNITIES for field in c[:4])
    write_csv(os.path.join(out, "communities.csv"),
              [{"alias": c[0], "kelurahan": c[1], "jenis": c[2], "nama": c[3]}
               for c in COMMUNITIES], "plain")
    for spec in COMMUNITIES:
        d = os.path.join(out, spec[0])
        os.makedirs(d, exist_ok=True)
        for collection, rows in community(rng, spec).items():
            write_csv(os.path.join(d, collection + ".csv"), rows, spec[-1])


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Checks what a hub holds or reports against the demo's spreadsheets.

    check_demo.py summary RECORD.json FILE.csv FIELD CATEGORIES [WHERE_FIELD=VALUE]
    check_demo.py aggregate RECORD.json FIELD CATEGORIES WHERE_FIELD=VALUE|- FILE.csv...
    check_demo.py report REPORT.csv K FIELD CATEGORIES WHERE_FIELD=VALUE|- ID=FILE.csv...
    check_demo.py batch < JOBS

The counts are made here from the spreadsheets, independently of simpul:
the rows matching WHERE, per value of FIELD, values outside CATEGORIES
(one a line) under "other".

summary: RECORD.json is `simpul --json get` of a summary. A published
cell must equal its count and be 0 or at least the summary's k; a hidden
cell [lo, hi] must hold its count. Prints "published N (M not 0),
hidden H".

aggregate: RECORD.json is `simpul --json get` of a hub's aggregate of the
communities whose spreadsheets are given. Each figure [published,
suppressed, lo, hi] must hold the true sum: lo <= sum <= hi (hi null: no
bound), and nothing hidden, published = sum. Prints "N rows, H with
hidden counts".

report: REPORT.csv is `simpul report NAME --format csv` (docs/REPORTS.md);
each ID=FILE.csv names a community's column and its spreadsheet, and
there must be no other community column. Every figure of a community
column and of the total column must hold the true count: nothing hidden,
its value is the count (and, in a community's column, 0 or at least K);
something hidden, no value is shown and [lo, hi] holds the count. Prints
"N columns, M figures, H hidden".

Either prints one line per problem and exits 1 if there is any.

batch: one check a line of JOBS, tab-separated: a label, then one of the
above with its arguments; prints for each "ok", the label and what the
check says, or "fail", the label and its problems, tab-separated, and
exits 0. (One Python for every check: a loaded machine takes a second to
start one.)
"""
import csv
import io
import json
import sys


def read_csv(path):
    with open(path, encoding="utf-8-sig", newline="") as f:
        text = f.read()
    sep = ";" if ";" in text.splitlines()[0] else ","
    return list(csv.DictReader(io.StringIO(text), delimiter=sep))


def counts(path, field, listed, where):
    """Per category (and "" for the total), the matching rows."""
    n = dict.fromkeys(listed + ["other"], 0)
    for row in read_csv(path):
        if where and row[where[0]] != where[1]:
            continue
        n[row[field] if row[field] in listed else "other"] += 1
    n[""] = sum(n.values())
    return n


def read_listed(path):
    with open(path, encoding="utf-8") as f:
        return [line.strip() for line in f if line.strip()]


def summary(args, problems):
    record_path, csv_path, field, categories_path = args[:4]
    where = args[4].split("=", 1) if len(args) > 4 else None
    with open(record_path, encoding="utf-8") as f:
        body = json.load(f)["body"]
    listed = read_listed(categories_path)
    true = counts(csv_path, field, listed, where)
    k = body["k"]

    def check(what, cell, n):
        """Whether cell is published (True) or hidden (False)."""
        if isinstance(cell, int):
            if cell != n:
                problems.append(f"{what}: published {cell}, the spreadsheet says {n}")
            elif 0 < cell < k:
                problems.append(f"{what}: published {cell}, below k = {k}")
            return True
        lo, hi = cell
        if n < lo or (hi is not None and n > hi):
            problems.append(f"{what}: hidden as [{lo}, {hi}], the spreadsheet says {n}")
        return False

    if body["rows"] != listed + ["other"]:
        problems.append(f"rows {body['rows']} are not the categories and other")
    published = nonzero = hidden = 0
    for label, cells in zip(body["rows"], body["cells"]):
        if check(label, cells[0], true.get(label, 0)):
            published += 1
            nonzero += cells[0] > 0
        else:
            hidden += 1
    check("total", body["totals"]["all"], true[""])
    return f"published {published} ({nonzero} not 0), hidden {hidden}"


def fig_holds(fig, n):
    """Whether aggregate figure [published, suppressed, lo, hi] holds the true count n."""
    published, suppressed, lo, hi = fig
    if suppressed == 0:
        return published == lo == hi == n
    return lo <= n and (hi is None or n <= hi)


def aggregate(args, problems):
    record_path, field, categories_path, where = args[:4]
    where = None if where == "-" else where.split("=", 1)
    with open(record_path, encoding="utf-8") as f:
        body = json.load(f)["body"]
    listed = read_listed(categories_path)
    true = dict.fromkeys(listed + ["other", ""], 0)
    for path in args[4:]:
        for label, n in counts(path, field, listed, where).items():
            true[label] += n
    figs = [(label, cells[0]) for label, cells in zip(body["rows"], body["cells"])]
    figs.append(("", body["totals"]["all"]))
    hidden = 0
    for label, fig in figs:
        if label not in true:
            problems.append(f"{label}: not a category of the spreadsheets")
        elif not fig_holds(fig, true[label]):
            problems.append(f"{label or 'total'}: {fig} does not hold {true[label]}")
        hidden += fig[1] > 0 and label != ""
    if set(body["rows"]) != set(listed + ["other"]):
        problems.append(f"rows {body['rows']} are not the categories and other")
    return f"{len(body['rows'])} rows, {hidden} with hidden counts"


def report(args, problems):
    report_path, k, field, categories_path, where = args[:5]
    k = int(k)
    where = None if where == "-" else where.split("=", 1)
    listed = read_listed(categories_path)
    true = {}
    for pair in args[5:]:
        cid, path = pair.split("=", 1)
        true[cid] = counts(path, field, listed, where)
    total = {label: sum(t[label] for t in true.values()) for label in listed + ["other", ""]}
    lines = read_csv(report_path)
    seen = {line["id"] for line in lines if line["kind"] == "community"}
    if seen != set(true):
        problems.append(f"community columns {sorted(seen)}, wanted {sorted(true)}")
    hidden = figures = 0
    for line in lines:
        if line["kind"] == "community":
            n = true.get(line["id"], {}).get(line["row"])
        elif line["kind"] == "total":
            n = total.get(line["row"])
        else:
            continue
        what = f"{line['column']}/{line['row'] or 'total'}"
        if n is None:
            problems.append(f"{what}: not a category of the spreadsheets")
            continue
        figures += 1
        published, suppressed, lo = (int(line[f]) for f in ("published", "suppressed", "lo"))
        hi = int(line["hi"]) if line["hi"] else None
        if suppressed == 0:
            if line["value"] != str(n) or published != n or lo != n or hi != n:
                problems.append(f"{what}: shown as {line['value']!r}, the spreadsheets say {n}")
            elif line["kind"] == "community" and 0 < n < k:
                problems.append(f"{what}: {n} shown, below k = {k}")
        else:
            hidden += 1
            if line["value"]:
                problems.append(f"{what}: a hidden count shown as {line['value']!r}")
            if n < lo or (hi is not None and n > hi):
                problems.append(f"{what}: range {lo}-{hi} does not hold {n}")
    return f"{len(seen)} columns, {figures} figures, {hidden} hidden"


CHECKS = {"summary": summary, "aggregate": aggregate, "report": report}


def batch():
    for line in sys.stdin:
        label, mode, *args = line.rstrip("\n").split("\t")
        problems = []
        try:
            said = CHECKS[mode](args, problems)
        except (OSError, ValueError, KeyError, TypeError, IndexError) as e:
            problems.append(f"cannot check: {e!r}")
        if problems:
            print("fail", label, "; ".join(problems), sep="\t")
        else:
            print("ok", label, said, sep="\t")


def main():
    if sys.argv[1] == "batch":
        batch()
        return
    problems = []
    said = CHECKS[sys.argv[1]](sys.argv[2:], problems)
    for p in problems:
        print(p)
    if problems:
        sys.exit(1)
    print(said)


if __name__ == "__main__":
    main()

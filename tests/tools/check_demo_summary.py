#!/usr/bin/env python3
"""Checks a summary a hub holds against the community's spreadsheet.

    check_demo_summary.py RECORD.json FILE.csv FIELD CATEGORIES [WHERE_FIELD=VALUE]

RECORD.json is `simpul --json get` of the summary. The counts are made here
from FILE.csv, independently of simpul: the records (rows) matching WHERE,
per value of FIELD, values outside CATEGORIES (one a line) under "other".
A published cell must equal its count and be 0 or at least k; a hidden
cell [lo, hi] must hold its count. Prints one line per problem and exits 1
if there is any; prints "published N (M not 0), hidden H" otherwise.
"""
import csv
import io
import json
import sys


def main():
    record_path, csv_path, field, categories_path = sys.argv[1:5]
    where = sys.argv[5].split("=", 1) if len(sys.argv) > 5 else None
    with open(record_path, encoding="utf-8") as f:
        body = json.load(f)["body"]
    with open(categories_path, encoding="utf-8") as f:
        listed = [line.strip() for line in f if line.strip()]
    with open(csv_path, encoding="utf-8-sig", newline="") as f:
        text = f.read()
    sep = ";" if ";" in text.splitlines()[0] else ","
    counts = dict.fromkeys(listed + ["other"], 0)
    for row in csv.DictReader(io.StringIO(text), delimiter=sep):
        if where and row[where[0]] != where[1]:
            continue
        counts[row[field] if row[field] in listed else "other"] += 1

    problems = []
    k = body["k"]

    def check(what, cell, true):
        if isinstance(cell, int):
            if cell != true:
                problems.append(f"{what}: published {cell}, the spreadsheet says {true}")
            elif 0 < cell < k:
                problems.append(f"{what}: published {cell}, below k = {k}")
            return 1, int(cell > 0), 0
        lo, hi = cell
        if true < lo or (hi is not None and true > hi):
            problems.append(f"{what}: hidden as [{lo}, {hi}], the spreadsheet says {true}")
        return 0, 0, 1

    if body["rows"] != listed + ["other"]:
        problems.append(f"rows {body['rows']} are not the categories and other")
    published = nonzero = hidden = 0
    for label, cells in zip(body["rows"], body["cells"]):
        p, nz, h = check(label, cells[0], counts.get(label, 0))
        published += p
        nonzero += nz
        hidden += h
    check("total", body["totals"]["all"], sum(counts.values()))
    for p in problems:
        print(p)
    if problems:
        sys.exit(1)
    print(f"published {published} ({nonzero} not 0), hidden {hidden}")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Turns the fault suite's results (one JSON object a line, the file named
by FAULTS_RESULTS) into the Markdown table of docs/reliability.md.

  tests/faults/table.py [RESULTS] [--mode full|short|any]

The last row written for each case (test id) wins; rows of an unfinished
case (a test that failed before writing its counts) are marked.
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

ORDER = ["lb", "egress", "dns", "events", "all four"]


def load(path, mode):
    rows = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            row = json.loads(line)
            if mode != "any" and row.get("mode") != mode:
                continue
            key = (row.get("mode"), row["test"], row["component"], row["fault"])
            # A complete row is never replaced by the "incomplete" marker the
            # fixture writes for the same case.
            if key in rows and row.get("incomplete") and not rows[key].get("incomplete"):
                continue
            rows[key] = row
    return sorted(rows.values(), key=lambda r: (
        ORDER.index(r["component"]) if r["component"] in ORDER else len(ORDER),
        r["test"], r["fault"]))


def table(rows):
    out = ["| component | fault | sent | answered | faulted (failed) | lost outside the faulted "
           "connections | crashes | peak RSS MiB |",
           "|---|---|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        fault = r["fault"]
        if r.get("known_bug"):
            fault += " (**known bug**, xfail)"
        if r.get("incomplete"):
            fault += " (**unfinished**: the test failed before the end)"
        rss = "" if r.get("peak_rss_mib") is None else f"{r['peak_rss_mib']:.1f}"
        out.append(f"| {r['component']} | {fault} | {r['sent']} | {r['answered']} | "
                   f"{r['faulted']} ({r['faulted_failed']}) | {r['lost']} | {r['crashes']} | "
                   f"{rss} |")
    return "\n".join(out)


def main():
    from faultlib import results_path
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("results", nargs="?", default=results_path())
    p.add_argument("--mode", choices=["full", "short", "any"], default="any")
    a = p.parse_args()
    if not os.path.exists(a.results):
        print(f"no results at {a.results}", file=sys.stderr)
        return 1
    rows = load(a.results, a.mode)
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())

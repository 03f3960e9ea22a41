"""Prints the table of a benchmark run from its JSON lines, with the ratios
to the floor and to python-transitions and each goal of
docs/performance.md met or not.

    python3 bench/report.py build/bench/results.jsonl
"""

import json
import sys


def main(path):
    fig = {}
    params = {}
    rows = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line.startswith("{"):
                continue
            r = json.loads(line)
            key = r["name"]
            if key in ("seal.time", "seal.rss"):
                key = "%s.%d" % (key, r["params"]["steps"])
            fig[key] = r["median"]
            params[key] = r["params"]
            rows.append((key, r["median"], r["unit"]))

    print()
    print("%-44s %14s  %s" % ("figure", "median", "unit"))
    print("-" * 72)
    for key, v, unit in rows:
        print("%-44s %14.4g  %s" % (key, v, unit))

    def ratio(a, b):
        return fig[a] / fig[b] if a in fig and b in fig and fig[b] else None

    print()
    print("%-44s %14s" % ("ratio", "x"))
    print("-" * 72)
    for name, a, b in [
            ("W1a libofb / floor (ns per step)", "w1a.step", "floor.w1a.step"),
            ("W1b libofb / floor (ns per step)", "w1b.step", "floor.w1b.step"),
            ("W1c libofb / floor (ns per step)", "w1c.step", "floor.w1c.step"),
            ("W1c refusal libofb / floor", "w1c.refusal",
             "floor.w1c.refusal"),
            ("seal 100k / 10k (time)", "seal.time.100000", "seal.time.10000"),
            ("seal 1M / 100k (time)", "seal.time.1000000",
             "seal.time.100000"),
            ("seal 1M / 100k (memory)", "seal.rss.1000000",
             "seal.rss.100000"),
            ("Python: transitions / ofb (ns per step)",
             "python.transitions.w1a.step", "python.ofb.w1a.step")]:
        r = ratio(a, b)
        print("%-44s %14s" % (name, "%.2f" % r if r else "n/a"))

    print()
    print("%-44s %14s  %s" % ("goal", "figure", "met"))
    print("-" * 72)
    goals = [
        ("W1a within 2x of the floor", ratio("w1a.step", "floor.w1a.step"),
         lambda v: v <= 2, "%.2fx"),
        ("W1b <= 96 bytes per live run", fig.get("w1b.bytes_per_run"),
         lambda v: v <= 96, "%.0f B"),
        ("seal of 1M steps < 1 s", fig.get("seal.time.1000000"),
         lambda v: v < 1000, "%.0f ms"),
        ("seal linear (1M/100k time <= 12x)",
         ratio("seal.time.1000000", "seal.time.100000"),
         lambda v: v <= 12, "%.1fx"),
        ("replay of 1M records < 0.5 s (steps)",
         fig.get("journal.replay.steps"), lambda v: v < 500, "%.0f ms"),
        ("replay of 1M records < 0.5 s (signals)",
         fig.get("journal.replay.signals"), lambda v: v < 500, "%.0f ms"),
        ("Python handlers < 500 ns per step", fig.get("python.ofb.w1a.step"),
         lambda v: v < 500, "%.0f ns"),
    ]
    for key in ("journal.replay.steps", "journal.replay.signals"):
        if key in fig and params[key].get("records", 0) < 1000000:
            del fig[key]  # a quick run: not the goal's size
    for name, v, ok, fmt in goals:
        if v is None:
            print("%-44s %14s  %s" % (name, "n/a", "not measured"))
        else:
            print("%-44s %14s  %s" % (name, fmt % v, "yes" if ok(v) else "NO"))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "build/bench/results.jsonl")

#!/usr/bin/env python3
"""Writes a large, valid .ofb workflow for timing the parser.

    python3 tests/gen_ofb.py STEPS [PREREQS] > big.ofb

Each step has up to PREREQS (default 3) prerequisites among the 1000 steps
before it; every tenth has a role and a guard, so that parsing and sealing
see the usual mix of lines. Lines are kept short so that a 1,000,000-step
file stays under the 64 MiB limit.
"""
import random
import sys


def main():
    n = int(sys.argv[1])
    k = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    rnd = random.Random(1)
    out = sys.stdout
    out.write("workflow big 1\n")
    out.write('title "Generated workflow with %d steps"\n' % n)
    out.write("input flag bool default true\n")
    out.write("input tier choice(gold, silver, bronze) default gold\n")
    roles = ("csm", "engineer", "practice-lead")
    for i in range(n):
        out.write('step s%d "T"\n' % i)
        if i:
            prereqs = sorted({rnd.randrange(max(0, i - 1000), i)
                              for _ in range(k)})
            out.write(" after %s\n" % " ".join("s%d" % p for p in prereqs))
        if i % 10 == 0:
            out.write(" role %s\n" % roles[i % 3])
            out.write(" when flag and tier in (gold, silver)\n")


if __name__ == "__main__":
    main()

#!/bin/sh
# Runs every benchmark and prints one JSON line per figure (also kept in
# OUT), then a table. BUILD is the build directory, PYTHON the interpreter,
# QUICK=1 uses small counts (a quick look, not figures to quote).
set -e
OUT=${1:-build/bench/results.jsonl}
BUILD=${BUILD:-build}
PYTHON=${PYTHON:-python3}
B=$BUILD/bench
TMP=$B/tmp
mkdir -p "$TMP"
: > "$OUT"

if [ "$QUICK" = 1 ]; then
    RUNS_A=100000 RUNS_B=20000 REPS=3
    SEAL_BIG=100000 EVERY=200 RECORDS=20000 REPLAY=100000 PYRUNS=2000
else
    RUNS_A=1000000 RUNS_B=100000 REPS=5
    SEAL_BIG=1000000 EVERY=2000 RECORDS=200000 REPLAY=1000000 PYRUNS=20000
fi

run() {
    echo "== $*" >&2
    "$@" | tee -a "$OUT"
}

run "$B/floor" $RUNS_A $RUNS_B $REPS
run "$B/w1" $RUNS_A $RUNS_B $REPS
for n in 10000 100000 $SEAL_BIG; do
    run "$B/seal" $n 3
done
run "$B/journal" "$TMP" $EVERY $RECORDS $REPLAY 3

# python3-transitions for the comparison: installed from Debian when we
# may (root, apt-get); the script says so and skips that figure otherwise.
if ! "$PYTHON" -c 'import transitions' 2>/dev/null &&
   ! [ -d /usr/lib/python3/dist-packages/transitions ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "== apt-get install python3-transitions" >&2
        apt-get install -y -q python3-transitions >&2 ||
            echo "bench: could not install python3-transitions" >&2
    else
        echo "bench: python3-transitions missing and not root: skipped" >&2
    fi
fi
if command -v "$PYTHON" >/dev/null; then
    run "$PYTHON" bench/python_w1.py --runs $PYRUNS --reps 3 --build "$BUILD"
    "$PYTHON" bench/report.py "$OUT"
else
    echo "bench: no $PYTHON: Python figures and the table skipped" >&2
fi

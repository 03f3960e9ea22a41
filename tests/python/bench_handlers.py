"""Per-step cost of a Python handler against a C handler (not a test).

    make python build/libofb.a
    PYTHONPATH=build/python python3 tests/python/bench_handlers.py [STEPS]

One run of a workflow of STEPS independent automated steps, no journal; each
handler does nothing but report the step done. The difference is the price
of the binding: taking the GIL, building the Call, calling Python, reading
the outcome back.
"""

import os
import subprocess
import sys
import tempfile
import time

import ofb

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def python_ns_per_step(n, handler):
    text = "workflow wide 1\n" + "".join(
        'step s%d "S"\n action work\n' % i for i in range(n))
    wf = ofb.Workflow.parse(text)
    with ofb.Run(wf, "bench") as run:
        run.bind(handler, action="work")
        run.start()
        t0 = time.perf_counter_ns()
        run.advance(1000)
        t1 = time.perf_counter_ns()
        assert run.state == "completed"
    return (t1 - t0) / n


def c_ns_per_step(n):
    lib = os.path.join(ROOT, "build", "libofb.a")
    with tempfile.TemporaryDirectory() as d:
        exe = os.path.join(d, "bench")
        subprocess.run([os.environ.get("CC", "cc"), "-O2", "-std=c11",
                        "-D_POSIX_C_SOURCE=200809L",
                        "-I", os.path.join(ROOT, "libofb"), "-o", exe,
                        os.path.join(HERE, "data", "bench_c_handler.c"), lib],
                       check=True)
        return float(subprocess.run([exe, str(n)], check=True,
                                    capture_output=True, text=True).stdout)


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100000
    c = min(c_ns_per_step(n) for _ in range(3))
    bare = min(python_ns_per_step(n, lambda call: None) for _ in range(3))
    rich = min(python_ns_per_step(
        n, lambda call: ofb.Done(evidence={"ticket": call.key}))
        for _ in range(3))
    print("steps: %d" % n)
    print("C handler:                      %7.0f ns/step" % c)
    print("Python handler, returns None:   %7.0f ns/step (+%.0f)"
          % (bare, bare - c))
    print("Python handler, Done(evidence): %7.0f ns/step (+%.0f)"
          % (rich, rich - c))


if __name__ == "__main__":
    main()

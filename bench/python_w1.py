"""W1a from Python: the pzzle-customer chain with Python handlers, through
the `ofb` package, beside the same procedure written with the
`transitions` library. Prints one JSON line per figure, like the C
benchmarks.

    python3 bench/python_w1.py [--runs N] [--reps R] [--build DIR]

Both sides do the same per run: a fresh run (ofb) or model (transitions)
of one shared definition, ten steps in order, each one refused unless the
step before it is done and each calling a handler that adds its step's
index to a counter, then the confirmation the last step waits for.
"""

import argparse
import json
import os
import statistics
import sys
import time

STEPS = ["sync_job_off", "schema_tags_off", "relationships_removed",
         "tags_removed", "offboarding_complete_tag", "agreements_expired",
         "subspace_removed", "customer_schema_off", "subspace_archived",
         "support_request"]


def emit(name, params, median, unit):
    print(json.dumps({"name": name, "params": params, "median": median,
                      "unit": unit}), flush=True)


def skip(what, why):
    print("python_w1: skipping %s: %s" % (what, why), file=sys.stderr,
          flush=True)


def bench_ofb(build, runs, reps):
    sys.path.insert(0, os.path.join(build, "python"))
    try:
        import ofb
    except ImportError as e:
        skip("the ofb figures", "the ofb package is not built (make "
             "python): %s" % e)
        return None
    wf = ofb.Workflow.builtin("pzzle-customer")
    index = {s.id: i for i, s in enumerate(wf.steps)}
    if [s.id for s in wf.steps] != STEPS:
        raise SystemExit("pzzle-customer has changed: %r" % wf.steps)
    total = [0]

    def handler(call):
        total[0] += index[call.step]

    def one_pass(n):
        t = time.perf_counter()
        for _ in range(n):
            run = ofb.Run(wf, "w1")
            run.bind(handler)
            run.start()
            run.advance(1700000000)
            run.signal("support_confirmed")
            if run.state != "completed":
                raise SystemExit("ofb run did not complete: %s" % run.state)
            run.close()
        return time.perf_counter() - t

    one_pass(max(1, runs // 10))
    times = [one_pass(runs) for _ in range(reps)]
    ns = statistics.median(times) / (runs * len(STEPS)) * 1e9
    emit("python.ofb.w1a.step", {"runs": runs, "steps": len(STEPS),
                                 "reps": reps}, ns, "ns/step")
    print("python_w1: ofb handler sum %d" % total[0], file=sys.stderr)
    return ns


def import_transitions():
    try:
        import transitions
        return transitions
    except ImportError:
        pass
    # A pyenv or venv interpreter does not see Debian's packages.
    sys.path.append("/usr/lib/python3/dist-packages")
    try:
        import transitions
        return transitions
    except ImportError:
        return None


def bench_transitions(runs, reps):
    transitions = import_transitions()
    if transitions is None:
        skip("the transitions figures", "python3-transitions is not "
             "installed (apt-get install python3-transitions)")
        return None
    total = [0]

    def adder(i):
        def add():
            total[0] += i
        return add

    states = ["new"] + STEPS + ["waiting", "completed"]
    trans = []
    prev = "new"
    for i, step in enumerate(STEPS):
        # The state names the last step done: a step's trigger exists only
        # from its prerequisite's state, so out of order is refused.
        dest = "waiting" if step == "support_request" else step
        trans.append({"trigger": "do_" + step, "source": prev, "dest": dest,
                      "after": adder(i)})
        prev = step
    trans.append({"trigger": "support_confirmed", "source": "waiting",
                  "dest": "completed"})
    machine = transitions.Machine(model=None, states=states,
                                  transitions=trans, initial="new",
                                  auto_transitions=False)

    class Model:
        pass

    def drive(m):
        for step in STEPS:
            getattr(m, "do_" + step)()
        m.support_confirmed()
        if m.state != "completed":
            raise SystemExit("transitions run did not complete")

    # The cheapest way transitions offers: one model, put back to the
    # initial state for each run. This is the figure compared with ofb.
    def one_pass(n):
        m = Model()
        machine.add_model(m)
        t = time.perf_counter()
        for _ in range(n):
            machine.set_state("new", model=m)
            drive(m)
        t = time.perf_counter() - t
        machine.remove_model(m)
        return t

    # A model per run, as ofb makes a run per run: add_model/remove_model
    # cost more than the ten steps.
    def fresh_pass(n):
        t = time.perf_counter()
        for _ in range(n):
            m = Model()
            machine.add_model(m)
            drive(m)
            machine.remove_model(m)
        return time.perf_counter() - t

    params = {"runs": runs, "steps": len(STEPS), "reps": reps,
              "version": getattr(transitions, "__version__", "?")}
    one_pass(max(1, runs // 10))
    times = [one_pass(runs) for _ in range(reps)]
    ns = statistics.median(times) / (runs * len(STEPS)) * 1e9
    emit("python.transitions.w1a.step", params, ns, "ns/step")
    fresh = max(1, runs // 4)
    times = [fresh_pass(fresh) for _ in range(reps)]
    emit("python.transitions.w1a.step_model_per_run",
         dict(params, runs=fresh),
         statistics.median(times) / (fresh * len(STEPS)) * 1e9, "ns/step")
    print("python_w1: transitions handler sum %d" % total[0],
          file=sys.stderr)
    return ns


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=20000)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--build", default="build")
    a = ap.parse_args()
    bench_ofb(a.build, a.runs, a.reps)
    bench_transitions(a.runs, a.reps)


if __name__ == "__main__":
    main()

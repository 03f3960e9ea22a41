"""References and threads: 100,000 handler calls leak nothing; runs of one
workflow advance in several threads at once."""

import gc
import os
import sys
import threading
import tracemalloc
import unittest

import ofb


def wide(n):
    """A workflow of n independent automated steps."""
    lines = ['workflow wide 1', 'input tier choice(basic, csp) default basic']
    for i in range(n):
        lines += ['step s%d "Step %d"' % (i, i), '  action work']
    return ofb.Workflow.parse("\n".join(lines) + "\n")


def rss_bytes():
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        import resource  # max RSS only, but still bounded growth
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


class Handler:
    """Exercises every path that creates objects in the trampoline: the
    Call, evidence, findings, each outcome, and exceptions."""

    def __init__(self):
        self.calls = 0

    def __call__(self, call):
        self.calls += 1
        k = self.calls % 4
        if k == 0:
            call.evidence("ticket", "T-%d" % self.calls)
            return ofb.Done(evidence={"n": self.calls})
        if k == 1:
            call.set_input("tier", "csp")
            return None
        if k == 2:
            raise RuntimeError("simulated failure %d" % self.calls)
        return ofb.Fail("refused %d" % self.calls)


class TestReferences(unittest.TestCase):
    STEPS = 1000
    RUNS = 100  # 100,000 handler calls

    def batch(self, wf, handler, runs):
        for r in range(runs):
            with ofb.Run(wf, "r%d" % r) as run:
                run.bind(handler, action="work")
                run.start()
                run.advance(1000)

    def test_100000_handler_calls_leak_nothing(self):
        wf = wide(self.STEPS)
        handler = Handler()
        self.batch(wf, handler, 5)  # warm caches and free lists
        gc.collect()
        refs = sys.getrefcount(handler)
        total = getattr(sys, "gettotalrefcount", None)
        total_before = total() if total else 0
        rss_before = rss_bytes()
        tracemalloc.start()
        try:
            traced_before = tracemalloc.get_traced_memory()[0]
            self.batch(wf, handler, self.RUNS)
            gc.collect()
            traced_after = tracemalloc.get_traced_memory()[0]
        finally:
            tracemalloc.stop()
        self.assertEqual(handler.calls, (self.RUNS + 5) * self.STEPS)
        self.assertEqual(sys.getrefcount(handler), refs)
        if total:  # a debug build counts every reference
            self.assertLess(abs(total() - total_before), 100)
        # Python objects: a leaked tuple, string or capsule per call would
        # be over 5 MB here.
        self.assertLess(traced_after - traced_before, 256 * 1024)
        # C memory: a leaked reason or evidence per call would show as well.
        self.assertLess(rss_bytes() - rss_before, 8 * 1024 * 1024)


class TestThreads(unittest.TestCase):
    def test_runs_of_one_workflow_in_several_threads(self):
        wf = wide(200)
        seen = {}
        lock = threading.Lock()
        errors = []

        def handler(call):
            with lock:
                seen.setdefault(call.run.id, set()).add(
                    (threading.get_ident(), call.step))
            if call.step.endswith("7"):
                raise ValueError("step %s failed" % call.step)

        def worker(n):
            try:
                with ofb.Run(wf, "t%d" % n) as run:
                    run.bind(handler)
                    run.start()
                    for _ in range(3):
                        run.advance(1000)
                    st = run.status()["counts"]
                    if st["done"] != 180 or st["failed"] != 20:
                        errors.append((n, st))
            except Exception as e:  # reported below, not lost in a thread
                errors.append((n, e))

        threads = [threading.Thread(target=worker, args=(n,))
                   for n in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(errors, [])
        self.assertEqual(len(seen), 8)
        for run_id, calls in seen.items():
            self.assertEqual(len(calls), 200, run_id)
            self.assertEqual(len({tid for tid, _ in calls}), 1, run_id)

    def test_one_run_shared_by_threads_is_serialised(self):
        wf = wide(50)
        with ofb.Run(wf, "shared") as run:
            run.start()
            errors = []

            def worker(lo):
                try:
                    for i in range(lo, 50, 5):
                        run.complete("s%d" % i, by="t%d" % lo)
                        run.next()
                except Exception as e:
                    errors.append(e)

            threads = [threading.Thread(target=worker, args=(n,))
                       for n in range(5)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            self.assertEqual(errors, [])
            self.assertEqual(run.state, "completed")


if __name__ == "__main__":
    unittest.main()

"""Python handlers: outcomes, bindings, exceptions, references."""

import gc
import sys
import unittest
import weakref

import ofb
from common import Clock, svc


def run_of(tier="basic", found=False, clock=None):
    run = ofb.Run(svc(), "acme", clock=clock or Clock(), tier=tier,
                  found=found)
    run.start()
    return run


def states(run):
    return {k: v["state"] for k, v in run.status()["steps"].items()}


class Recorder:
    """A handler that remembers its calls and returns scripted outcomes."""

    def __init__(self, *outcomes):
        self.outcomes = list(outcomes)
        self.calls = []

    def __call__(self, call):
        self.calls.append((call.step, call.attempt, call.key, call.time))
        return self.outcomes.pop(0) if self.outcomes else None


class TestOutcomes(unittest.TestCase):
    def test_none_means_done_and_the_run_completes(self):
        with run_of() as run:
            rec = Recorder()
            run.bind(rec)
            self.assertIsNone(run.advance())
            run.confirm("remove", by="carol")
            self.assertEqual(run.advance(), run.now + 86400)  # ack timeout
            run.signal("ack")
            run.advance()
            self.assertEqual(run.state, "completed")
            self.assertEqual([c[0] for c in rec.calls],
                             ["export", "check", "remove", "notify", "tidy"])

    def test_call_carries_step_attempt_key_and_time(self):
        clock = Clock(4242)
        with run_of(clock=clock) as run:
            seen = []

            @run.handler(step="export")
            def export(call):
                seen.append((call.run, call.step, call.attempt, call.key,
                             call.time, call.run["tier"]))

            run.advance()
            self.assertEqual(seen, [(run, "export", 1, "acme/export/1", 4242,
                                     "basic")])

    def test_done_with_evidence_is_journaled(self):
        with run_of() as run:
            @run.handler(action="export")
            def export(call):
                call.evidence("vault", "V-17")
                return ofb.Done(evidence={"items": 42})

            run.advance()
            self.assertEqual(states(run)["export"], "done")

    def test_the_done_class_itself_is_accepted(self):
        with run_of() as run:
            run.bind(lambda call: ofb.Done, step="export")
            run.advance()
            self.assertEqual(states(run)["export"], "done")

    def test_wait_then_signal(self):
        with run_of() as run:
            run.bind(lambda call: ofb.Wait("vault-closed"), step="export")
            self.assertIsNone(run.advance())
            st = run.status()["steps"]["export"]
            self.assertEqual((st["state"], st["event"]),
                             ("waiting", "vault-closed"))
            run.signal("vault-closed", by="vault")
            self.assertEqual(states(run)["export"], "done")

    def test_retry_backs_off_then_fails(self):
        clock = Clock(1000)
        with run_of(clock=clock) as run:
            run.bind(lambda call: None)
            run.advance()
            run.confirm("remove")
            run.advance()
            run.signal("ack")
            tidy = Recorder(ofb.Retry("PSA busy"), ofb.Retry("PSA busy"),
                            ofb.Retry("PSA busy"))
            run.bind(tidy, step="tidy")
            self.assertEqual(run.advance(), 1010)
            self.assertEqual(run.advance(1010), 1030)
            self.assertIsNone(run.advance(1030))
            self.assertEqual([c[1] for c in tidy.calls], [1, 2, 3])
            self.assertEqual(tidy.calls[1][2], "acme/tidy/2")
            self.assertEqual(states(run)["tidy"], "failed")

    def test_fail_keeps_the_reason(self):
        with run_of() as run:
            run.bind(lambda call: ofb.Fail("vault refused"), step="export")
            run.advance()
            item = run.next()[0]
            self.assertEqual((item["step"], item["kind"]),
                             ("export", "failed"))

    def test_skip_an_optional_step(self):
        with run_of() as run:
            run.bind(lambda call: ofb.Skip("nothing in the PSA")
                     if call.step == "tidy" else None)
            run.advance()
            run.confirm("remove")
            run.advance()
            run.signal("ack")
            run.advance()
            self.assertEqual(states(run)["tidy"], "skipped")
            self.assertEqual(run.state, "completed")

    def test_a_handler_may_record_a_finding(self):
        with run_of(found=None) as run:
            def check(call):
                call.set_input("found", True)
                with self.assertRaises(ofb.InputError):
                    call.set_input("found", "perhaps")

            run.bind(check, step="check")
            run.bind(lambda call: None, action="export")
            run.bind(lambda call: None, step="leftovers")
            run.advance()
            self.assertEqual(run["found"], "true")
            self.assertEqual(states(run)["leftovers"], "done")

    def test_an_unknown_return_value_fails_the_step(self):
        with run_of() as run:
            run.bind(lambda call: "yes", step="export")
            run.advance()
            self.assertEqual(states(run)["export"], "failed")


class TestDriving(unittest.TestCase):
    def test_advance_once_runs_one_handler(self):
        with run_of() as run:
            rec = Recorder()
            run.bind(rec)
            run.advance(once=True)
            self.assertEqual([c[0] for c in rec.calls], ["export"])
            run.advance(once=True)
            self.assertEqual([c[0] for c in rec.calls], ["export", "check"])

    def test_advance_defaults_to_the_clock(self):
        clock = Clock(777)
        with run_of(clock=clock) as run:
            times = []
            run.bind(lambda call: times.append(call.time), step="export")
            run.advance()
            self.assertEqual(times, [777])


class TestExceptions(unittest.TestCase):
    def test_an_exception_fails_the_step_and_the_run_goes_on(self):
        with run_of(tier="csp") as run:
            def check(call):
                raise ConnectionError("tenant API unreachable")

            run.bind(lambda call: None)
            run.bind(check, step="check")
            run.advance()
            self.assertEqual(states(run)["export"], "done")
            self.assertEqual(states(run)["check"], "failed")
            failed = [i for i in run.next() if i["kind"] == "failed"]
            self.assertEqual([i["step"] for i in failed], ["check"])
            # The run is still usable: a person retries and it goes on.
            run.bind(lambda call: None, step="check")
            run.retry("check", by="bob")
            run.advance()
            self.assertEqual(states(run)["csp"], "done")

    def test_an_exception_does_not_leak_into_the_caller(self):
        with run_of() as run:
            run.bind(lambda call: 1 / 0, step="export")
            run.advance()  # raises nothing
            self.assertIsNone(sys.exc_info()[0])
            run.status()

    def test_keyboard_interrupt_stops_advance_and_leaves_the_step_in_doubt(
            self):
        with run_of() as run:
            def export(call):
                raise KeyboardInterrupt

            run.bind(export, step="export")
            with self.assertRaises(KeyboardInterrupt):
                run.advance()
            st = run.status()["steps"]["export"]
            self.assertEqual(st["state"], "running")
            self.assertTrue(st["in_doubt"])
            rec = Recorder()
            run.bind(rec, step="export")
            run.advance()
            self.assertEqual(rec.calls[0][2], "acme/export/1")  # same key
            self.assertEqual(states(run)["export"], "done")

    def test_the_call_is_dead_after_its_handler(self):
        with run_of() as run:
            kept = []
            run.bind(kept.append, step="export")
            run.advance()
            with self.assertRaises(ofb.Error):
                kept[0].evidence("late", "1")

    def test_a_handler_cannot_drive_its_own_run(self):
        with run_of() as run:
            errors = []

            def export(call):
                try:
                    call.run.complete("check")
                except ofb.Error as e:
                    errors.append(e)
                try:
                    call.run.advance()
                except ofb.Error as e:
                    errors.append(e)
                call.run.status()  # reading is fine

            run.bind(export, step="export")
            run.advance()
            self.assertEqual(len(errors), 2)
            self.assertEqual(states(run)["export"], "done")


class TestBindings(unittest.TestCase):
    def test_the_most_specific_binding_wins(self):
        with run_of(tier="csp") as run:
            who = {}

            def tag(name):
                return lambda call: who.setdefault(call.step, name) and None

            run.bind(tag("default"))
            run.bind(tag("role"), role="engineer")
            run.bind(tag("action"), action="export")
            run.bind(tag("step"), step="check")
            run.advance()
            run.confirm("remove")
            run.advance()
            self.assertEqual(who, {"export": "action", "check": "step",
                                   "remove": "role", "csp": "role",
                                   "notify": "default"})

    def test_bind_to_one_key_only(self):
        with run_of() as run:
            with self.assertRaises(TypeError):
                run.bind(print, step="export", role="engineer")
            with self.assertRaises(ofb.NotFoundError):
                run.bind(print, step="nope")
            with self.assertRaises(TypeError):
                run.bind("not callable", step="export")

    def test_the_decorator_returns_the_function(self):
        with run_of() as run:
            @run.handler(role="engineer")
            def engineer(call):
                return None
            self.assertTrue(callable(engineer))

    def test_replacing_a_handler_releases_the_old_one(self):
        with run_of() as run:
            first = Recorder()
            ref = weakref.ref(first)
            run.bind(first, step="export")
            del first
            gc.collect()
            self.assertIsNotNone(ref())
            run.bind(Recorder(), step="export")
            gc.collect()
            self.assertIsNone(ref())

    def test_closing_the_run_releases_its_handlers(self):
        run = run_of()
        handler = Recorder()
        before = sys.getrefcount(handler)
        run.bind(handler, step="export")
        run.bind(handler, action="remove")
        self.assertGreater(sys.getrefcount(handler), before)
        run.close()
        gc.collect()
        self.assertEqual(sys.getrefcount(handler), before)

    def test_a_handler_that_holds_its_run_does_not_keep_it_alive(self):
        run = run_of()
        run.bind(lambda call: run.status() and None, step="export")
        ref = weakref.ref(run)
        del run
        gc.collect()
        self.assertIsNone(ref())


if __name__ == "__main__":
    unittest.main()

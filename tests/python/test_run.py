"""Runs driven by people: inputs, acts, refusals, questions, lifetime."""

import unittest
import weakref

import ofb
from common import Clock, TempDirTest, svc


def started(tier="basic", **kw):
    run = ofb.Run(svc(), "acme-2026", clock=Clock(), tier=tier, **kw)
    run.start(by="alice")
    return run


class TestInputs(unittest.TestCase):
    def test_inputs_from_the_constructor_and_by_item(self):
        with ofb.Run(svc(), "r", tier="csp") as run:
            self.assertEqual(run["tier"], "csp")
            self.assertIsNone(run["found"])
            run["found"] = True
            self.assertEqual(run["found"], "true")
            run.set("note", "moved to Contoso", by="alice")
            self.assertEqual(run.status()["inputs"]["note"],
                             "moved to Contoso")

    def test_a_value_of_the_wrong_type_is_an_input_error(self):
        with ofb.Run(svc(), "r") as run:
            with self.assertRaises(ofb.InputError) as cm:
                run["tier"] = "gold"
            self.assertEqual(cm.exception.code, ofb.ETYPE)
            with self.assertRaises(ofb.NotFoundError):
                run.set("colour", "blue")
            with self.assertRaises(KeyError):
                run["colour"]

    def test_start_needs_the_required_inputs(self):
        with ofb.Run(svc(), "r") as run:
            with self.assertRaises(ofb.NeedInputError) as cm:
                run.start()
            self.assertEqual(cm.exception.detail, "tier")
            self.assertIsInstance(cm.exception, ofb.RefusedError)
            self.assertIsInstance(cm.exception, ofb.InputError)
            self.assertEqual(run.state, "new")

    def test_a_workflow_may_be_named(self):
        with ofb.Run("pzzle-customer", "r") as run:
            self.assertEqual(run.workflow.id, "pzzle-customer")


class TestActs(unittest.TestCase):
    def test_a_check_done_by_hand_records_its_finding(self):
        with started() as run:
            run.complete("export", by="bob")
            with self.assertRaises(ofb.InputError):
                run.complete("check", by="bob", inputs={"found": "perhaps"})
            self.assertEqual(run.status()["steps"]["check"]["state"], "ready")
            run.complete("check", by="bob", inputs={"found": True})
            self.assertEqual(run["found"], "true")
            self.assertEqual(run.status()["steps"]["leftovers"]["state"],
                             "ready")

    def test_a_person_works_through_the_steps(self):
        with started(found=False) as run:
            self.assertEqual(run.state, "active")
            self.assertEqual(run.id, "acme-2026")
            run.complete("export", by="bob", note="exported",
                         evidence={"vault": "V-17"})
            run.begin("check", by="bob")
            run.fail("check", why="tenant locked", by="bob")
            self.assertEqual(run.status()["steps"]["check"]["state"],
                             "failed")
            run.retry("check", by="bob")
            run.complete("check", by="bob")
            run.confirm("remove", by="carol")
            run.complete("remove", by="carol")
            run.complete("notify", by="dave")
            self.assertEqual(run.status()["steps"]["notify"]["state"],
                             "waiting")
            self.assertFalse(run.signalled("ack"))
            run.signal("ack", by="customer")
            self.assertTrue(run.signalled("ack"))
            run.skip("tidy", "nothing to tidy", by="dave")
            self.assertEqual(run.state, "completed")
            counts = run.status()["counts"]
            self.assertEqual(counts["done"] + counts["skipped"], 7)

    def test_cancel_ends_the_run(self):
        with started() as run:
            run.cancel(by="alice", note="customer stayed")
            self.assertEqual(run.state, "cancelled")
            with self.assertRaises(ofb.RefusedError) as cm:
                run.complete("export")
            self.assertEqual(cm.exception.code, ofb.ESTATE)

    def test_acts_use_the_run_clock_or_an_explicit_time(self):
        clock = Clock(5000)
        with ofb.Run(svc(), "r", clock=clock, tier="basic") as run:
            run.start()
            clock.t = 6000
            run.complete("export")
            self.assertEqual(run.now, 6000)
            run.complete("check", at=7000)
            self.assertEqual(run.now, 7000)


class TestRefusals(unittest.TestCase):
    def assertRefused(self, code, fn, *args, **kw):
        with self.assertRaises(ofb.RefusedError) as cm:
            fn(*args, **kw)
        self.assertEqual(cm.exception.code, code, str(cm.exception))
        return cm.exception

    def test_out_of_order_names_the_prerequisite(self):
        with started() as run:
            e = self.assertRefused(ofb.EPREREQ, run.complete, "remove")
            self.assertEqual(e.step, "remove")
            self.assertEqual(e.prerequisite, "check")
            self.assertIn("cannot complete 'remove'", str(e))
            self.assertIn("'check'", str(e))

    def test_a_step_that_does_not_apply(self):
        with started(tier="basic") as run:
            run.complete("export")
            run.complete("check")
            e = self.assertRefused(ofb.EGUARD, run.complete, "csp")
            self.assertEqual(e.step, "csp")

    def test_irreversible_needs_a_confirmation(self):
        with started() as run:
            run.complete("export")
            run.complete("check")
            self.assertRefused(ofb.ECONFIRM, run.complete, "remove")

    def test_only_optional_steps_may_be_skipped(self):
        with started() as run:
            self.assertRefused(ofb.ENOTOPTIONAL, run.skip, "export", "why")

    def test_done_is_done(self):
        with started() as run:
            run.complete("export")
            self.assertRefused(ofb.ENOTREADY, run.complete, "export")

    def test_unknown_steps_and_events(self):
        with started() as run:
            with self.assertRaises(ofb.NotFoundError):
                run.complete("nope")
            with self.assertRaises(ofb.NotFoundError):
                run.signal("nobody-waits-for-this")

    def test_starting_twice(self):
        with started() as run:
            self.assertRefused(ofb.ESTATE, run.start)


class TestQuestions(unittest.TestCase):
    def test_next_says_who_must_act(self):
        with started() as run:
            items = run.next()
            first = items[0]
            self.assertEqual(first["step"], "export")
            self.assertEqual(first["role"], "engineer")
            self.assertEqual(first["kind"], "do")
            self.assertTrue(first["reason"])
            blocked = {i["step"]: i for i in items if i["kind"] == "blocked"}
            self.assertEqual(blocked["check"]["detail"], "export")
            self.assertEqual(
                {i["step"] for i in run.next(role="csm")}, {"notify", "tidy"})

    def test_next_reports_confirmations_events_and_inputs(self):
        with started(tier="csp") as run:
            run.complete("export")
            run.complete("check")
            kinds = {i["step"]: i["kind"] for i in run.next()}
            self.assertEqual(kinds["remove"], "confirm")
            self.assertEqual(kinds["leftovers"], "input")
            run.confirm("remove")
            run.complete("remove")
            run.complete("notify")
            item = [i for i in run.next() if i["step"] == "notify"][0]
            self.assertEqual((item["kind"], item["event"]), ("event", "ack"))
            self.assertEqual(item["due"], run.now + 86400)

    def test_status_is_plain_data(self):
        with started() as run:
            st = run.status()
            self.assertEqual(st["status"], "active")
            self.assertEqual(st["run"], "acme-2026")
            self.assertEqual(set(st["counts"]),
                             {"blocked", "ready", "running", "waiting",
                              "retrying", "failed", "done", "skipped"})
            self.assertEqual(st["steps"]["export"],
                             {"state": "ready", "attempt": 0,
                              "confirmed": False, "in_doubt": False,
                              "due": None, "event": None})

    def test_a_run_without_journal_has_no_history(self):
        with started() as run:
            self.assertEqual(run.history(), [])

    def test_exports_of_a_run(self):
        with started() as run:
            self.assertIn("digraph", run.to_dot())
            self.assertTrue(run.to_mermaid())
            self.assertIn("- [", run.checklist())


class TestLifetime(TempDirTest):
    def test_a_closed_run_refuses_every_call(self):
        run = started()
        run.close()
        run.close()
        self.assertTrue(run.closed)
        with self.assertRaises(ValueError):
            run.status()
        with self.assertRaises(ValueError):
            run.complete("export")
        self.assertIn("closed", repr(run))

    def test_a_run_is_freed_when_dropped(self):
        run = started()
        ref = weakref.ref(run)
        del run
        self.assertIsNone(ref())

    def test_bad_durability(self):
        with self.assertRaises(ValueError):
            ofb.Run(svc(), "r", journal=self.path("j"), durability="sometimes")

    def test_flush_makes_a_flushed_journal_durable(self):
        path = self.path("j")
        with ofb.Run(svc(), "r", journal=path, durability="flush",
                     tier="basic") as run:
            run.start()
            run.flush()
            self.assertEqual([h["kind"] for h in ofb.read_journal(path)],
                             ["create", "input", "start"])

    def test_errors_carry_their_code_name(self):
        with started() as run:
            with self.assertRaises(ofb.RefusedError) as cm:
                run.complete("remove")
            self.assertEqual(cm.exception.name, ofb.strerror(ofb.EPREREQ))
            self.assertIsInstance(cm.exception, ofb.Error)

    def test_a_bad_run_id(self):
        with self.assertRaises(ofb.Error) as cm:
            ofb.Run(svc(), "no spaces please")
        self.assertEqual(cm.exception.code, ofb.EINVAL)


if __name__ == "__main__":
    unittest.main()

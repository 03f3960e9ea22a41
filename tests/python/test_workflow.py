"""Workflows from Python: built-ins, parsing, queries, plans, exports."""

import re
import unittest

import ofb
from common import SVC, TempDirTest, svc

SHIPPED = {"autotask-msp-customer", "intercept-customer", "pzzle-customer",
           "rmm-remove-contact", "xpm-nimbus-client"}


class TestBuiltins(unittest.TestCase):
    def test_the_shipped_procedures_are_built_in(self):
        names = ofb.Workflow.builtins()
        self.assertTrue(SHIPPED <= set(names), names)
        for name in names:
            wf = ofb.Workflow.builtin(name)
            self.assertEqual(wf.id, name)
            self.assertIn("workflow " + name, ofb.Workflow.builtin_source(name))

    def test_an_unknown_builtin_is_not_found(self):
        with self.assertRaises(ofb.NotFoundError) as cm:
            ofb.Workflow.builtin("no-such-procedure")
        self.assertEqual(cm.exception.code, ofb.ENOTFOUND)
        self.assertIsNone(ofb.Workflow.builtin_source("no-such-procedure"))

    def test_version_matches_the_header(self):
        self.assertEqual(ofb.version(), ofb.__version__)
        self.assertTrue(ofb.strerror(ofb.EPREREQ))


class TestDefinition(TempDirTest):
    def test_queries_describe_the_definition(self):
        wf = svc()
        self.assertEqual((wf.id, wf.version), ("svc", 1))
        self.assertEqual(wf.title, "Offboard a managed-services customer")
        self.assertRegex(wf.hash, r"^[0-9a-f]{64}$")
        self.assertEqual([s.id for s in wf.steps],
                         ["export", "check", "remove", "notify", "csp",
                          "tidy", "leftovers"])
        remove = wf.step("remove")
        self.assertEqual(remove.role, "engineer")
        self.assertEqual(remove.action, "remove")
        self.assertEqual(remove.after, ("check",))
        self.assertTrue(remove.irreversible)
        self.assertFalse(remove.manual or remove.optional)
        notify = wf.step("notify")
        self.assertEqual((notify.wait_event, notify.wait_timeout),
                         ("ack", 86400))
        tidy = wf.step("tidy")
        self.assertTrue(tidy.optional)
        self.assertEqual((tidy.retry_count, tidy.retry_backoff), (2, 10))
        self.assertEqual(wf.step("csp").when, "tier == csp")
        self.assertIsNone(wf.step("export").when)
        with self.assertRaises(KeyError):
            wf.step("nope")

    def test_inputs_are_typed(self):
        inputs = {i.id: i for i in svc().inputs}
        self.assertEqual(inputs["tier"].type, "choice")
        self.assertEqual(inputs["tier"].choices, ("basic", "csp"))
        self.assertTrue(inputs["tier"].required)
        self.assertEqual(inputs["found"].type, "bool")
        self.assertEqual(inputs["note"].default, "none")

    def test_order_puts_every_prerequisite_first(self):
        for name in ofb.Workflow.builtins():
            wf = ofb.Workflow.builtin(name)
            order = wf.order
            self.assertEqual(sorted(order), sorted(s.id for s in wf.steps))
            pos = {sid: i for i, sid in enumerate(order)}
            for s in wf.steps:
                for a in s.after:
                    self.assertLess(pos[a], pos[s.id], (name, s.id, a))

    def test_parse_accepts_bytes_and_load_reads_files(self):
        self.assertEqual(ofb.Workflow.parse(SVC.encode()).hash, svc().hash)
        with open(self.path("svc.ofb"), "w") as f:
            f.write(SVC)
        self.assertEqual(ofb.Workflow.load(self.path("svc.ofb")), svc())

    def test_definition_errors_name_file_line_and_column(self):
        text = 'workflow bad 1\nstep a "A"\n  after ghost\nstep b\n'
        with self.assertRaises(ofb.DefinitionError) as cm:
            ofb.Workflow.parse(text, name="bad.ofb")
        e = cm.exception
        self.assertEqual(e.file, "bad.ofb")
        self.assertGreater(e.line, 0)
        self.assertGreater(e.column, 0)
        self.assertTrue(str(e).startswith("bad.ofb:%d:" % e.line), str(e))
        self.assertTrue(e.errors)
        self.assertEqual(e.errors[0][0], e.line)

    def test_a_cycle_is_a_definition_error(self):
        text = ('workflow c 1\nstep a "A"\n after b\nstep b "B"\n after a\n')
        with self.assertRaises(ofb.DefinitionError) as cm:
            ofb.Workflow.parse(text)
        self.assertIn("a", cm.exception.message)
        self.assertIn(cm.exception.code, (ofb.EDEFINITION, ofb.ESYNTAX))

    def test_a_missing_file_is_an_io_error(self):
        with self.assertRaises(ofb.Error) as cm:
            ofb.Workflow.load(self.path("missing.ofb"))
        self.assertEqual(cm.exception.code, ofb.EIO)
        self.assertIsInstance(cm.exception, OSError)

    def test_canonical_text_parses_to_the_same_definition(self):
        for name in ofb.Workflow.builtins():
            wf = ofb.Workflow.builtin(name)
            again = ofb.Workflow.parse(wf.to_text())
            self.assertEqual(again.hash, wf.hash)
            self.assertEqual(again.steps, wf.steps)


class TestPlan(unittest.TestCase):
    def test_plan_for_a_basic_customer_skips_the_csp_move(self):
        plan = {p["step"]: p for p in svc().plan(tier="basic", found=False)}
        self.assertEqual(plan["export"]["kind"], "run")
        self.assertIsNone(plan["export"]["reason"])
        self.assertEqual(plan["csp"]["kind"], "skip")
        self.assertIn("tier == csp", plan["csp"]["reason"])
        self.assertEqual(plan["leftovers"]["kind"], "skip")
        self.assertEqual([p["position"] for p in svc().plan(tier="csp")],
                         list(range(1, 8)))

    def test_a_guard_on_an_unset_input_depends_on_the_run(self):
        plan = {p["step"]: p for p in svc().plan(tier="csp")}
        self.assertEqual(plan["csp"]["kind"], "run")
        self.assertEqual(plan["leftovers"]["kind"], "depends")
        self.assertIn("found", plan["leftovers"]["reason"])

    def test_plan_checks_inputs(self):
        with self.assertRaises(ofb.InputError):
            svc().plan(tier="gold")
        with self.assertRaises(ofb.NotFoundError):
            svc().plan(colour="blue")

    def test_the_intercept_plan_follows_the_tier(self):
        wf = ofb.Workflow.builtin("intercept-customer")
        csp = [p["step"] for p in wf.plan(tier="csp") if p["kind"] == "run"]
        full = [p["step"] for p in wf.plan(tier="fullstack")
                if p["kind"] == "run"]
        self.assertLess(len(csp), len(full))
        self.assertTrue(set(csp) <= set(full))


class TestExports(unittest.TestCase):
    def test_graphs_and_checklists_are_text(self):
        wf = ofb.Workflow.builtin("pzzle-customer")
        self.assertIn("digraph", wf.to_dot())
        self.assertRegex(wf.to_mermaid(), r"(?m)^(flowchart|graph) ")
        self.assertRegex(wf.checklist(), re.compile(r"^- \[ \]", re.M))

    def test_import_checklist_gives_a_definition(self):
        md = ("# Offboarding\n\n"
              "- [ ] CSM >> Confirm the termination\n"
              "- [ ] Engineer >> Remove the accounts\n")
        text, notes = ofb.import_checklist(md, "offboarding.md")
        wf = ofb.Workflow.parse(text)
        self.assertEqual(len(wf.steps), 2)
        self.assertIsInstance(notes, list)

    def test_workflows_compare_by_definition(self):
        self.assertEqual(svc(), svc())
        self.assertEqual(len({svc(), svc()}), 1)
        self.assertNotEqual(svc(), ofb.Workflow.builtin("pzzle-customer"))
        self.assertIn("svc", repr(svc()))


if __name__ == "__main__":
    unittest.main()

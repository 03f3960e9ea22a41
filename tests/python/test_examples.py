"""The Python examples run, start to end, as a reader would run them."""

import os
import subprocess
import sys
import unittest

import ofb
from common import ROOT, TempDirTest

EXAMPLES = os.path.join(ROOT, "examples", "python")


def run_example(name, *args):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [os.path.dirname(os.path.dirname(ofb.__file__)),
         env.get("PYTHONPATH", "")])
    return subprocess.run([sys.executable, os.path.join(EXAMPLES, name)]
                          + list(args), env=env, capture_output=True,
                          text=True, timeout=120)


class TestExamples(TempDirTest):
    def test_offboard_intercept(self):
        journal = self.path("acme.journal")
        p = run_example("offboard_intercept.py", journal)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("is completed", p.stdout)
        self.assertIn("vault is locked for maintenance", p.stdout)
        self.assertIn("Contract: terminated", p.stdout)
        self.assertEqual(p.stderr, "")
        hist = ofb.read_journal(journal)
        failed = [h for h in hist if h["outcome"] == "fail"]
        self.assertEqual(failed[0]["step"], "secrets_exported")
        self.assertEqual(ofb.verify_journal(journal)["records"], len(hist))

    def test_resume_settles_the_step_in_doubt(self):
        p = run_example("resume.py")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("'in_doubt': 1", p.stdout)
        self.assertIn("-> it happened", p.stdout)
        self.assertIn("is completed", p.stdout)

    def test_resume_a_journal_given_on_the_command_line(self):
        journal = self.path("half.journal")
        with ofb.Run("intercept-customer", "acme-half", journal=journal,
                     tier="csp") as run:
            run.start(by="csm:anna")
            run.complete("notice_received", by="csm:anna")
        p = run_example("resume.py", journal)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("resumed acme-half", p.stdout)
        self.assertIn("is completed", p.stdout)


if __name__ == "__main__":
    unittest.main()

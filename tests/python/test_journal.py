"""Journals: resume what Python, C or the ofb command wrote; damage."""

import os
import shutil
import subprocess
import unittest

import ofb
from common import BUILD, ROOT, SVC, Clock, TempDirTest, svc


def half_done(path, clock=None):
    """Writes a journal of an offboarding left half done."""
    with ofb.Run(svc(), "acme", journal=path, clock=clock or Clock(),
                 tier="csp") as run:
        run.start(by="alice")
        run.complete("export", by="bob", note="all 312 secrets",
                     evidence={"vault": "V-17"})
        run.complete("check", by="bob")
        return run.status()


class TestResume(TempDirTest):
    def test_python_resumes_what_python_wrote(self):
        path = self.path("acme.journal")
        before = half_done(path)
        with ofb.Run.open(path, clock=Clock()) as run:
            self.assertEqual(run.status(), before)
            self.assertEqual(run.recovery["records"], len(run.history()))
            self.assertEqual(run.recovery["in_doubt"], 0)
            self.assertEqual(run.workflow, svc())
            run.bind(lambda call: None)
            run.advance()
            run.confirm("remove", by="carol")
            run.advance()
            run.signal("ack", by="customer")
            run["found"] = False
            run.advance()
            self.assertEqual(run.state, "completed")

    def test_history_is_the_audit_trail(self):
        path = self.path("acme.journal")
        half_done(path)
        with ofb.Run.open(path) as run:
            hist = run.history()
        kinds = [h["kind"] for h in hist]
        self.assertEqual(kinds[0], "create")
        self.assertIn("start", kinds)
        done = [h for h in hist if h["kind"] == "complete"]
        self.assertEqual(done[0]["step"], "export")
        self.assertEqual(done[0]["actor"], "bob")
        self.assertEqual(done[0]["note"], "all 312 secrets")
        self.assertEqual(done[0]["evidence"], {"vault": "V-17"})
        self.assertEqual([h["seq"] for h in hist], list(range(len(hist))))
        self.assertEqual(ofb.read_journal(path), hist)

    def test_handler_outcomes_are_journaled_with_the_reason(self):
        path = self.path("acme.journal")
        with ofb.Run(svc(), "acme", journal=path, durability="flush",
                     tier="basic") as run:
            def export(call):
                call.set_input("found", True)
                return ofb.Done(evidence={"items": 312})

            def check(call):
                raise RuntimeError("tenant API unreachable")

            run.bind(export, step="export")
            run.bind(check, step="check")
            run.start()
            run.advance()
            run.flush()
        outcomes = [h for h in ofb.read_journal(path)
                    if h["kind"] == "outcome"]
        self.assertEqual(outcomes[0]["outcome"], "done")
        self.assertEqual(outcomes[0]["evidence"], {"items": "312"})
        self.assertEqual(outcomes[0]["inputs"], {"found": "true"})
        self.assertEqual(outcomes[1]["step"], "check")
        self.assertEqual(outcomes[1]["outcome"], "fail")
        self.assertEqual(outcomes[1]["note"], "tenant API unreachable")

    def test_python_resumes_what_c_wrote(self):
        cc = shutil.which(os.environ.get("CC", "cc"))
        lib = os.path.join(BUILD, "libofb.a")
        if not cc or not os.path.exists(lib):
            self.skipTest("needs a C compiler and %s" % lib)
        exe = self.path("write_journal")
        subprocess.run([cc, "-std=c11", "-I", os.path.join(ROOT, "libofb"),
                        "-o", exe,
                        os.path.join(os.path.dirname(__file__), "data",
                                     "write_journal.c"), lib], check=True)
        path = self.path("acme-c.journal")
        subprocess.run([exe, path], check=True)
        with ofb.Run.open(path, workflow="intercept-customer") as run:
            self.assertEqual(run.id, "acme-c")
            self.assertEqual(run["tier"], "csp")
            st = run.status()["steps"]
            self.assertEqual(st["notice_received"]["state"], "done")
            self.assertEqual(st["termination_confirmed"]["state"], "ready")
            done = [h for h in run.history() if h["kind"] == "complete"][0]
            self.assertEqual((done["actor"], done["evidence"]),
                             ("tech:bob", {"ticket": "T-4711"}))
            run.complete("termination_confirmed", by="csm:eve")
        self.assertEqual(ofb.verify_journal(path)["records"],
                         len(ofb.read_journal(path)))

    def test_python_resumes_what_the_ofb_command_wrote(self):
        exe = os.path.join(BUILD, "ofb")
        if not os.access(exe, os.X_OK):
            self.skipTest("the ofb command is not built (%s)" % exe)
        path = self.path("cli.journal")
        subprocess.run([exe, "start", "intercept-customer", path,
                        "--set", "tier=premium"], check=True)
        subprocess.run([exe, "done", path, "notice_received", "--by", "amy",
                        "--evidence", "ticket=T-1"], check=True)
        with ofb.Run.open(path) as run:
            self.assertEqual(run["tier"], "premium")
            self.assertEqual(run.status()["steps"]["notice_received"]["state"],
                             "done")
            run.complete("termination_confirmed", by="amy")
        out = subprocess.run([exe, "log", path], check=True,
                             capture_output=True, text=True).stdout
        self.assertIn("termination_confirmed", out)
        out = subprocess.run([exe, "log", path, "--verify"], check=True,
                             capture_output=True, text=True).stdout
        self.assertIn("hash chain intact", out)


class TestInDoubt(TempDirTest):
    def crashed(self):
        """A journal whose handler was interrupted mid-step."""
        path = self.path("crash.journal")
        with ofb.Run(svc(), "acme", journal=path, tier="basic") as run:
            def export(call):
                raise KeyboardInterrupt  # the process dies here
            run.bind(export, step="export")
            run.start()
            with self.assertRaises(KeyboardInterrupt):
                run.advance()
        return path

    def test_verify_says_it_happened(self):
        path = self.crashed()
        asked, calls = [], []
        with ofb.Run.open(path, verify=lambda step, key:
                          asked.append((step, key)) or True) as run:
            self.assertEqual(run.recovery["in_doubt"], 1)
            run.bind(lambda call: calls.append(call.step))
            run.advance()
            self.assertEqual(asked, [("export", "acme/export/1")])
            self.assertNotIn("export", calls)
            self.assertEqual(run.status()["steps"]["export"]["state"], "done")

    def test_without_verify_the_handler_runs_again_with_the_same_key(self):
        path = self.crashed()
        keys = []
        with ofb.Run.open(path) as run:
            run.bind(lambda call: keys.append(call.key))
            run.advance()
        self.assertEqual(keys[0], "acme/export/1")

    def test_an_error_in_verify_surfaces(self):
        path = self.crashed()
        with ofb.Run.open(path, verify=lambda step, key: 1 / 0) as run:
            run.bind(lambda call: None)
            with self.assertRaises(ZeroDivisionError):
                run.advance()


class TestJournalErrors(TempDirTest):
    def test_a_journal_belongs_to_its_definition(self):
        path = self.path("acme.journal")
        half_done(path)
        with self.assertRaises(ofb.JournalError) as cm:
            ofb.Run.open(path, workflow="pzzle-customer")
        self.assertEqual(cm.exception.code, ofb.EMISMATCH)

    def test_one_writer_at_a_time(self):
        path = self.path("acme.journal")
        half_done(path)
        with ofb.Run.open(path):
            with self.assertRaises(ofb.JournalError) as cm:
                ofb.Run.open(path)
            self.assertEqual(cm.exception.code, ofb.EBUSY)

    def test_a_new_run_never_overwrites_a_journal(self):
        path = self.path("acme.journal")
        half_done(path)
        with self.assertRaises(ofb.JournalError):
            ofb.Run(svc(), "again", journal=path)

    def test_a_torn_last_line_is_dropped_and_reported(self):
        path = self.path("acme.journal")
        half_done(path)
        with open(path, "ab") as f:
            f.write(b"7 1000 complete csp")  # no newline: a crash mid-write
        with ofb.Run.open(path) as run:
            self.assertEqual(run.recovery["torn_records"], 1)
            self.assertGreater(run.recovery["torn_bytes"], 0)
            self.assertEqual(run.status()["steps"]["csp"]["state"], "ready")

    def test_an_altered_record_is_corruption_with_its_line(self):
        path = self.path("acme.journal")
        half_done(path)
        with open(path, "rb") as f:
            lines = f.read().split(b"\n")
        i = next(n for n, line in enumerate(lines) if b"312 secrets" in line)
        lines[i] = lines[i].replace(b"312", b"311")
        with open(path, "wb") as f:
            f.write(b"\n".join(lines))
        with self.assertRaises(ofb.JournalError) as cm:
            ofb.Run.open(path)
        self.assertEqual(cm.exception.code, ofb.ECORRUPT)
        self.assertEqual(cm.exception.line, i + 1)
        with self.assertRaises(ofb.JournalError):
            ofb.verify_journal(path)

    def test_a_missing_journal(self):
        with self.assertRaises(ofb.JournalError) as cm:
            ofb.Run.open(self.path("nope.journal"))
        self.assertEqual(cm.exception.code, ofb.EIO)


if __name__ == "__main__":
    unittest.main()

#!/usr/bin/env python3
"""Resume a half-done offboarding from its journal.

    PYTHONPATH=build/python python3 examples/python/resume.py [JOURNAL]

Without an argument, it first makes a half-done journal the hard way: the
Intercept offboarding of offboard_intercept.py runs until the process is
"killed" in the middle of removing Intercept's accounts - after the tenant
changed, before the outcome was journaled. Then it does what a restarted
host does: opens the journal (the definition comes from the journal itself),
asks the tenant whether the step in doubt did happen (verify), binds the
handlers again, and finishes.

With a JOURNAL argument, it resumes that journal instead; steps found in
doubt are then run again with their same idempotency key.
"""

import os
import sys
import tempfile

import ofb
from offboard_intercept import (PEOPLE, Psa, Tenant, Vault, bind_handlers,
                                intercept_workflow, print_audit,
                                work_as_people)


class Killed(BaseException):
    """Stands for the process dying: not an error a handler reports."""


def half_done_journal(path, tenant):
    """Runs the offboarding until it dies inside accounts_removed."""
    psa, vault = Psa(), Vault()
    vault.locked = False
    ticket = psa.open_ticket("acme", "[Offboarding] Acme")
    with ofb.Run(intercept_workflow(), "acme-offboarding", journal=path,
                 tier="fullstack", contract_end="2026-12-31") as run:
        bind_handlers(run, psa, vault, tenant, ticket)

        @run.handler(step="accounts_removed")
        def remove_then_die(call):
            tenant.remove_intercept_accounts()
            raise Killed()  # power cut: the outcome never reaches the journal

        run.start(by=PEOPLE["csm"])
        try:
            work_as_people(run)
        except Killed:
            print("the host died while removing accounts")


def main(argv):
    tenant = Tenant()
    if len(argv) > 1:
        path = argv[1]
    else:
        path = os.path.join(tempfile.mkdtemp(prefix="ofb-"), "acme.journal")
        half_done_journal(path, tenant)

    def did_it_happen(step, key):
        # Ask the system of record, not the journal: the journal only knows
        # the step began. Here the tenant tells whether our accounts are gone.
        gone = not any("intercept" in a for a in tenant.accounts)
        print("in doubt: %s (%s) -> %s" % (step, key,
                                           "it happened" if gone else "rerun"))
        return step == "accounts_removed" and gone

    with ofb.Run.open(path, verify=did_it_happen) as run:
        print("resumed %s: %s" % (run.id, run.recovery))
        print("state on open: %s" % run.status()["counts"])
        for item in run.next():
            if item["kind"] not in ("blocked", "input"):
                print("  next: %-26s %-8s %s" % (item["step"], item["kind"],
                                                 item["reason"]))
        psa, vault = Psa(), Vault()
        vault.locked = False
        bind_handlers(run, psa, vault, tenant,
                      psa.open_ticket("acme", "[Offboarding] Acme, resumed"))
        work_as_people(run)
        print("Run %s is %s" % (run.id, run.state))
        print_audit(run)
        return 0 if run.state == "completed" else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))

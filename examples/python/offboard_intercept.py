#!/usr/bin/env python3
"""Offboard an Intercept customer, end to end, with a journal.

    PYTHONPATH=build/python python3 examples/python/offboard_intercept.py [JOURNAL]

The built-in `intercept-customer` workflow leaves every step to a person
unless a handler is bound. This shop has integrations for four of them (the
password vault's export and hand-over, removing Intercept's accounts from the
tenant, terminating the contract in the PSA) and binds handlers for those.
People do the rest; the script plays them.

The PSA, the vault and the tenant are small simulations with real state, so
you can see what each handler changed. The first call to the vault fails
(it is locked), the step fails with that reason in the journal, and an
engineer retries it: the journal is the audit trail of all of it.
"""

import hashlib
import itertools
import json
import os
import sys
import tempfile
import time

import ofb

# Steps this shop automates (ids from workflows/intercept-customer.ofb).
AUTOMATED = {"secrets_exported", "secrets_handed_over", "accounts_removed",
             "contract_terminated"}

# Who acts for each role in this offboarding.
PEOPLE = {"csm": "csm:anna", "engineer": "eng:bram",
          "practice-lead": "lead:chris"}


def intercept_workflow():
    """The built-in definition, as shipped."""
    return ofb.Workflow.builtin("intercept-customer")


# --------------------------------------------------------------------------
# The systems the handlers talk to

class Psa:
    """A PSA: companies with a contract status and tickets with notes."""

    def __init__(self):
        self.companies = {"acme": {"contract": "active", "tags": ["MS"]}}
        self.tickets = {}
        self._ids = itertools.count(4711)

    def open_ticket(self, company, title):
        tid = "T-%d" % next(self._ids)
        self.tickets[tid] = {"company": company, "title": title, "notes": []}
        return tid

    def note(self, tid, text):
        self.tickets[tid]["notes"].append(text)

    def terminate_contract(self, company, end_date, key):
        c = self.companies[company]
        if c.get("terminated_by") == key:  # a rerun of the same attempt
            return c["termination"]
        c.update(contract="terminated", end=end_date, terminated_by=key,
                 termination="TD-%s" % end_date.replace("-", ""))
        return c["termination"]


class Vault:
    """A password vault: one folder of secrets per customer."""

    def __init__(self):
        self.folders = {"acme": {"m365-global-admin": "Ykq!2x9",
                                 "firewall": "fw-88-acme",
                                 "backup-encryption": "b4ck-up-k3y"}}
        self.shares = {}
        self.locked = True  # the first call finds it locked

    def export(self, folder):
        if self.locked:
            self.locked = False
            raise ConnectionError("vault is locked for maintenance")
        blob = json.dumps(self.folders[folder], sort_keys=True).encode()
        return len(self.folders[folder]), hashlib.sha256(blob).hexdigest()

    def share(self, folder, recipient):
        self.shares[folder] = recipient
        return "share-%s-%s" % (folder, recipient.split("@")[0])


class Tenant:
    """The customer's tenant: the accounts Intercept had there."""

    def __init__(self):
        self.accounts = {"intercept-admin", "intercept-backup",
                         "bram@intercept.example", "jan.customer"}

    def remove_intercept_accounts(self):
        ours = sorted(a for a in self.accounts if "intercept" in a)
        self.accounts -= set(ours)
        return ours


# --------------------------------------------------------------------------
# Handlers

def bind_handlers(run, psa, vault, tenant, ticket):
    @run.handler(step="secrets_exported")
    def export_secrets(call):
        count, digest = vault.export("acme")  # may raise: the step fails
        psa.note(ticket, "exported %d secrets (%s)" % (count, call.key))
        return ofb.Done(evidence={"secrets": count, "sha256": digest[:16]})

    @run.handler(step="secrets_handed_over")
    def hand_over(call):
        share = vault.share("acme", "it@acme.example")
        psa.note(ticket, "secrets shared with the customer: " + share)
        return ofb.Done(evidence={"share": share})

    @run.handler(step="accounts_removed")
    def remove_accounts(call):
        removed = tenant.remove_intercept_accounts()
        psa.note(ticket, "removed accounts: " + ", ".join(removed))
        return ofb.Done(evidence={"removed": len(removed)})

    @run.handler(step="contract_terminated")
    def terminate(call):
        end = call.run["contract_end"] or time.strftime("%Y-%m-%d")
        ref = psa.terminate_contract("acme", end, call.key)
        psa.note(ticket, "contract terminated in TOPdesk: " + ref)
        return ofb.Done(evidence={"topdesk": ref, "ticket": ticket})


def work_as_people(run, limit=None):
    """Does what people would: completes manual steps, confirms irreversible
    ones, retries failures once. Stops after `limit` acts (None: never)."""
    retried = set()
    for acts in itertools.count():
        if run.state != "active" or (limit is not None and acts >= limit):
            return
        run.advance()
        todo = [i for i in run.next()
                if i["kind"] in ("do", "confirm", "failed")]
        if not todo:
            return  # only events or timeouts can move it now
        item = todo[0]
        who = PEOPLE.get(item["role"], "tech")
        if item["kind"] == "do":
            run.complete(item["step"], by=who, note="done by hand")
        elif item["kind"] == "confirm":
            run.confirm(item["step"], by=who, note="checked with the customer")
        elif item["step"] not in retried:
            retried.add(item["step"])
            run.retry(item["step"], by=who, note="vault is back")
        else:
            return


def print_audit(run):
    print("\nAudit trail of run %s (%s):" % (run.id, run.workflow.id))
    for h in run.history():
        when = time.strftime("%H:%M:%S", time.localtime(h["time"]))
        what = h["kind"]
        if h["outcome"]:
            what += " " + h["outcome"]
        subject = h["step"] or ""
        if h["kind"] == "input":
            subject = "%s=%s" % (h["name"], h["value"])
        elif h["kind"] in ("signal", "create"):
            subject = h["name"] or ""
        line = "%4d %s %-12s %-28s" % (h["seq"], when, what, subject)
        if h["actor"]:
            line += " by " + h["actor"]
        if h["note"]:
            line += " - " + h["note"]
        if h["evidence"] and h["kind"] != "create":
            line += " " + json.dumps(h["evidence"], sort_keys=True)
        print(line)


def main(argv):
    journal = argv[1] if len(argv) > 1 else os.path.join(
        tempfile.mkdtemp(prefix="ofb-"), "acme.journal")
    psa, vault, tenant = Psa(), Vault(), Tenant()
    ticket = psa.open_ticket("acme", "[Offboarding] Acme")

    with ofb.Run(intercept_workflow(), "acme-offboarding", journal=journal,
                 tier="premium", contract_end="2026-12-31",
                 new_supplier="Contoso MSP") as run:
        bind_handlers(run, psa, vault, tenant, ticket)
        run.start(by=PEOPLE["csm"], note="notice received by mail")
        work_as_people(run)
        print("Run %s is %s: %s" % (run.id, run.state, run.status()["counts"]))
        print_audit(run)

    print("\nPSA ticket %s:" % ticket)
    for note in psa.tickets[ticket]["notes"]:
        print("  - " + note)
    print("Tenant accounts left: %s" % sorted(tenant.accounts))
    print("Contract: %s" % psa.companies["acme"]["contract"])
    check = ofb.verify_journal(journal)
    print("Journal %s: %d records, hash chain intact" % (journal,
                                                        check["records"]))
    return 0 if psa.companies["acme"]["contract"] == "terminated" else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))

"""Shared fixtures for the Python binding's tests."""

import os
import shutil
import tempfile
import unittest

import ofb

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("BUILD", os.path.join(ROOT, "build"))

# A small offboarding with every kind of step: automated ones (action),
# a check that records a finding, an irreversible removal, a wait for the
# customer's acknowledgement, a tier-only step and an optional clean-up.
SVC = """\
workflow svc 1
title "Offboard a managed-services customer"
input tier choice(basic, csp) required
input found bool
input note string default "none"
step export "Export the customer's secrets"
  role engineer
  action export
step check "Check the tenant for leftovers"
  role engineer
  after export
step remove "Remove our accounts"
  role engineer
  action remove
  after check
  irreversible
step notify "Tell the customer, wait for the acknowledgement"
  role csm
  after remove
  wait ack timeout 1d
step csp "Move the CSP subscription"
  role engineer
  after check
  when tier == csp
step tidy "Tidy up the PSA"
  role csm
  after notify csp
  optional
  retry 2 backoff 10s
step leftovers "Remove what the check found"
  role engineer
  after check
  when found
"""


def svc():
    return ofb.Workflow.parse(SVC, name="svc.ofb")


class Clock:
    """A hand-driven clock for runs."""

    def __init__(self, t=1_000_000):
        self.t = t

    def __call__(self):
        return self.t


class TempDirTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="ofb-py-")
        self.addCleanup(shutil.rmtree, self.dir, True)

    def path(self, name):
        return os.path.join(self.dir, name)

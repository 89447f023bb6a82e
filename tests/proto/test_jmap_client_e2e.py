# test_jmap_client_e2e.py: the real JMAP client test of tests/e2e (the
# jmap-jam library under node, tests/e2e/jmap_client.mjs) collected here
# too, so that `make proto` and `make test` run it; it skips when node or
# tests/e2e/node_modules/jmap-jam (make deps) are missing.
# SPDX-License-Identifier: MIT
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "e2e"))
from test_jmap_client import srv, test_jmap_jam_client  # noqa: E402,F401

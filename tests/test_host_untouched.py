"""The whole suite leaves the host's own network namespace exactly as it found it.

conftest.py records `ip -j link`, `ip -j addr`, `ip -j route` and `ip netns` when the session
starts; this test, which conftest orders last, compares them once everything else has run.
"""

from __future__ import annotations

import pytest

from conftest import ROOT_STATE, root_namespace_state


def test_root_namespace_is_as_the_suite_found_it(pytestconfig: pytest.Config) -> None:
    before = pytestconfig.stash[ROOT_STATE]
    if not before:
        pytest.skip("no `ip` program to look with")
    after = root_namespace_state()
    for what in before:
        assert after[what] == before[what], f"`ip {what}` changed during the suite"

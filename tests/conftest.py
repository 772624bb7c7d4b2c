"""Shared fixtures (started sim labs, destroyed after each test) and the routing of tests
that need the bonding driver (vmharness.py)."""

from __future__ import annotations

import os

import pytest

from labkit import Lab

import vmharness

ROOT_STATE = pytest.StashKey[dict]()


@pytest.fixture
def lab():
    """The default lab without NetworkManager (kernel-level lessons: the server's addresses
    come from the topology, nothing else touches the links)."""
    with Lab(engine="sim", networkmanager=False) as running:
        yield running


@pytest.fixture
def nmlab():
    """The default lab as the walkthrough's server boots: NetworkManager settled."""
    with Lab(engine="sim") as running:
        yield running


def pytest_configure(config: pytest.Config) -> None:
    if not os.environ.get("LABKIT_IN_VM"):
        # nbval's kernels inherit it: the notebooks' stored outputs come from the sim
        os.environ.setdefault("LABKIT_ENGINE", "sim")
    os.environ["LABKIT_PROGRESS"] = "off"  # no test, nbval kernel or browser records in a home
    # labkit's own words in English whatever the machine's LANG (LANGUAGE comes first in
    # gettext's order); a test of another language sets it itself (monkeypatch, Lab(locale=))
    os.environ["LANGUAGE"] = "en"
    os.environ.pop("LABKIT_FLAVOUR", None)  # the notebooks' stored outputs are their own machine's
    config.addinivalue_line("markers", "bonding: needs a kernel with the bonding driver (runs "
                                       "inside the micro-VM where the host has none)")
    path = os.environ.get(vmharness.REPORT_ENV)
    if path and os.environ.get("LABKIT_IN_VM"):
        config.pluginmanager.register(vmharness.Reporter(path), "labkit-vm-reporter")


@pytest.hookimpl(trylast=True)  # after -k and -m have deselected what will not run
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config,
                                  items: list[pytest.Item]) -> None:
    vmharness.route(items)
    # the check that the suite left the host's namespace as it found it runs last
    last = [i for i in items if i.path.name == "test_host_untouched.py"]
    items[:] = [i for i in items if i not in last] + last


def root_namespace_state() -> dict[str, str]:
    """What the host's own namespace shows: its links, addresses, routes and named netns."""
    import shutil
    import subprocess

    if shutil.which("ip") is None:
        return {}
    argvs = {"link": ["ip", "-j", "link"], "addr": ["ip", "-j", "addr"],
             "route": ["ip", "-j", "route"], "netns": ["ip", "netns"]}
    return {k: subprocess.run(v, capture_output=True, text=True).stdout for k, v in argvs.items()}


def pytest_sessionstart(session: pytest.Session) -> None:
    session.config.stash[ROOT_STATE] = root_namespace_state()

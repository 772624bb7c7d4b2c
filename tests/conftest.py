"""Shared fixtures: started sim labs, destroyed after each test."""

from __future__ import annotations

import pytest

from labkit import Lab


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

"""Shared fixtures: a started sim lab per test."""

from __future__ import annotations

import pytest

from labkit import Lab


@pytest.fixture
def lab():
    """The default lab on the sim engine, destroyed after the test."""
    with Lab(engine="sim") as running:
        yield running

"""What `labkit doctor` and engine choice say when something is missing: each reason once, and
for KVM which of the two usual reasons holds (no device, or a device this user may not open)."""

from __future__ import annotations

import os
import stat

import pytest

from labkit.engines import probe as probe_module
from labkit.engines import select
from labkit.engines.probe import Check, Probe
from labkit.errors import EngineUnavailable


def _unprivileged() -> Probe:
    """What probe() finds for a user without CAP_NET_ADMIN (its own sentences)."""
    not_tried = "not tried without CAP_NET_ADMIN"
    return Probe((Check("CAP_NET_ADMIN", False, "not held (run as root, or use the sim or vm "
                        "engine)"), Check("iproute2", True, "/usr/bin/ip"),
                  *(Check(n, False, not_tried) for n in ("namespaces", "veth", "bridge",
                                                         "bonding"))))


def test_netns_refused_says_each_reason_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(probe_module, "probe", _unprivileged)
    monkeypatch.setenv("LANGUAGE", "en")
    monkeypatch.delenv("LABKIT_ENGINE", raising=False)
    with pytest.raises(EngineUnavailable) as refused:
        select.choose("netns")
    said = str(refused.value)
    assert said.count("not tried without CAP_NET_ADMIN") == 1, said
    assert "not held" in said


def test_kvm_device_this_user_may_not_open(monkeypatch: pytest.MonkeyPatch) -> None:
    """root:kvm 0660 and a user outside the group: the device exists, the group is named."""
    monkeypatch.setenv("LANGUAGE", "en")
    real_stat = os.stat
    fake = os.stat_result((stat.S_IFCHR | 0o660, 0, 0, 1, 0, os.getgid(), 0, 0, 0, 0))
    monkeypatch.setattr(os, "access", lambda path, mode: False)
    monkeypatch.setattr(os, "stat", lambda path, *a, **k: fake if path == "/dev/kvm"
                        else real_stat(path, *a, **k))
    check = probe_module._kvm_check()
    assert not check.ok
    assert "exists but this user may not open it" in check.detail
    assert "mode 660" in check.detail and "join the" in check.detail


def test_kvm_no_device(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANGUAGE", "en")

    def missing(path: str, *args: object, **kwargs: object) -> os.stat_result:
        raise FileNotFoundError(2, "No such file or directory", path)

    monkeypatch.setattr(os, "access", lambda path, mode: False)
    monkeypatch.setattr(os, "stat", missing)
    check = probe_module._kvm_check()
    assert not check.ok and check.detail.startswith("no /dev/kvm")

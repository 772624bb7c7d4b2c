"""What this machine can run a lab on, found out once per process, without side effects.

The probe reads capabilities from /proc, and tries the privileged part (a namespace with a
veth pair, a bridge and a bond) in a child process inside a scratch network namespace of its
own, which the kernel removes when the child exits: nothing is left behind, and nothing of the
host is touched. Engine choice (select.py) and `labkit doctor` read the same result; its
sentences are in the environment's language (labkit.i18n), its check names stay the keys.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import sys
import unicodedata
from dataclasses import dataclass

from labkit.engines import vm
from labkit.engines.netns import sandbox
from labkit.i18n import _

CAP_NET_ADMIN = 12
# 0.4 s on a real CPU; under an emulated one (the micro-VM without KVM), right after a lab's
# namespaces were torn down, a 20 s limit was once exceeded (measured: notebook 06 under nbval)
SCRATCH_TIMEOUT = 60.0


@dataclass(frozen=True)
class Check:
    """One line of the probe table."""

    name: str
    ok: bool
    detail: str


@dataclass(frozen=True)
class Probe:
    """Everything engine choice needs to know about this machine."""

    checks: tuple[Check, ...]

    def ok(self, name: str) -> bool:
        return any(c.name == name and c.ok for c in self.checks)

    def detail(self, name: str) -> str:
        return next((c.detail for c in self.checks if c.name == name), "")

    @property
    def netns_ok(self) -> bool:
        """The netns engine can build labs (bonds aside)."""
        return all(self.ok(n) for n in ("CAP_NET_ADMIN", "namespaces", "veth", "bridge",
                                        "iproute2", "sandbox"))

    @property
    def bonds_ok(self) -> bool:
        return self.netns_ok and self.ok("bonding")

    @property
    def vm_ok(self) -> bool:
        return all(self.ok(n) for n in ("kernel image", "qemu", "virtme-ng"))

    def table(self) -> str:
        width = max(len(c.name) for c in self.checks)
        yes, no = _("yes"), _("no")
        answer = max(_width(yes), _width(no))
        return "\n".join(f"{c.name:<{width}}  {_pad(yes if c.ok else no, answer)}  {c.detail}"
                         for c in self.checks)


def _width(text: str) -> int:
    """The columns `text` takes in a terminal: a Japanese character takes two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def _capability(bit: int) -> bool:
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("CapEff:"):
                    return bool(int(line.split()[1], 16) >> bit & 1)
    except OSError:
        pass
    return False


def _scratch() -> dict[str, str]:
    """Run this module in a child that makes a scratch namespace and tries each link kind."""
    try:
        out = subprocess.run([sys.executable, "-m", "labkit.engines.probe", "--scratch"],
                             capture_output=True, text=True, timeout=SCRATCH_TIMEOUT)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return {"namespaces": _("the probe could not run: {error}").format(error=exc)}
    try:
        return dict(json.loads(out.stdout.strip().splitlines()[-1]))
    except (ValueError, IndexError):
        return {"namespaces": _("the probe failed: {error}").format(
            error=out.stderr.strip()[-200:])}


def scratch_main() -> int:
    """The child: unshare a network namespace, try veth, bridge and bond, print JSON."""
    from labkit.engines.netns import batch, syscalls
    from labkit.errors import KernelError

    result: dict[str, str] = {}
    try:
        syscalls.unshare_net()
    except OSError as exc:
        result["namespaces"] = exc.strerror or str(exc)
        print(json.dumps(result))
        return 0
    result["namespaces"] = "ok"
    sock = batch.open_socket()
    tries = {"veth": batch.new_link("probe0", "veth", "02:00:00:00:00:01",
                                    [("VETH_INFO_PEER", {"attrs": [("IFLA_IFNAME", "probe1")]})]),
             "bridge": batch.new_link("probe2", "bridge", "02:00:00:00:00:02"),
             "bonding": batch.new_link("probe3", "bond", "02:00:00:00:00:03")}
    for name, msg in tries.items():
        out = batch.Batch()
        out.request(sock, batch.RTM_NEWLINK, msg, batch.CREATE)
        try:
            out.flush()
            result[name] = "ok"
        except KernelError as exc:
            result[name] = exc.strerror
    print(json.dumps(result))
    return 0


def _kvm_check() -> Check:
    """KVM's check, saying which of the two usual reasons holds: no device at all, or a
    device this user may not open (root:kvm 0660, the user outside the group)."""
    path = "/dev/kvm"
    if os.access(path, os.R_OK | os.W_OK):
        return Check("KVM", True, _("/dev/kvm usable; the vm engine uses it when LABKIT_KVM=1"))
    try:
        st = os.stat(path)
    except OSError:
        return Check("KVM", False, _("no /dev/kvm: the VM emulates (slow boot)"))
    import grp  # here, not at the top: Pyodide (JupyterLite) has no grp module
    try:
        group = grp.getgrgid(st.st_gid).gr_name
    except KeyError:
        group = str(st.st_gid)
    return Check("KVM", False, _("/dev/kvm exists but this user may not open it (group "
                                 "{group}, mode {mode:o}): join the {group} group, or the VM "
                                 "emulates (slow boot)").format(group=group,
                                                                mode=st.st_mode & 0o777))


@functools.lru_cache(maxsize=1)
def probe() -> Probe:
    """The machine's abilities (cached: probing once per process is enough)."""
    cap = _capability(CAP_NET_ADMIN)
    checks = [Check("CAP_NET_ADMIN", cap, _("yes: may create namespaces and links") if cap
                    else _("not held (run as root, or use the sim or vm engine)"))]
    ip = shutil.which("ip")
    checks.append(Check("iproute2", ip is not None,
                        ip or _("no `ip` program (apt install iproute2)")))
    missing = [t for t in sandbox.TOOLS if shutil.which(t, path=sandbox.ENV["PATH"]) is None]
    checks.append(Check("sandbox", not missing,
                        _("real programs run confined to the lab (util-linux's nsenter, "
                          "unshare, setpriv)") if not missing else
                        _("missing {programs} (apt install util-linux coreutils libc-bin)")
                        .format(programs=", ".join(missing))))
    if cap:
        found = _scratch()
        for name, what in (("namespaces", _("network namespaces")), ("veth", _("veth pairs")),
                           ("bridge", _("Linux bridge")), ("bonding", _("bonding driver"))):
            result = found.get(name, _("not tried"))
            checks.append(Check(name, result == "ok",
                                _("{what}: work (tried in a scratch namespace)").format(what=what)
                                if result == "ok" else f"{what}: {result}"))
    else:
        checks += [Check(n, False, _("not tried without CAP_NET_ADMIN"))
                   for n in ("namespaces", "veth", "bridge", "bonding")]
    max_userns = _read_int("/proc/sys/user/max_user_namespaces")
    checks.append(Check("user namespaces", max_userns > 0,
                        _("max_user_namespaces {count} (labkit's engines need root today)")
                        .format(count=max_userns)))
    checks.append(_kvm_check())
    images = vm.kernel_images()
    checks.append(Check("kernel image", bool(images), str(images[-1]) if images else
                        _("none with the bonding module (apt install linux-image-amd64)")))
    qemu = shutil.which("qemu-system-x86_64")
    checks.append(Check("qemu", qemu is not None, qemu or "apt install qemu-system-x86"))
    vng = vm.vng_program()
    checks.append(Check("virtme-ng", vng is not None, vng or "pip install virtme-ng"))
    return Probe(tuple(checks))


def _read_int(path: str) -> int:
    try:
        with open(path, encoding="ascii") as f:
            return int(f.read().strip() or 0)
    except (OSError, ValueError):
        return 0


if __name__ == "__main__" and sys.argv[1:] == ["--scratch"]:
    sys.exit(scratch_main())

"""The daemon's parts (labkit/nm/ split by concern): their import graph has no circle, and an
activation's IP configuration is a typed state that its DHCP timeout moves, as the daemon's
journal and retries show."""

from __future__ import annotations

import ast
from pathlib import Path

from labkit import Lab
from labkit.nm.objects import AcState, IPResult

NM = Path(__file__).resolve().parent.parent / "labkit" / "nm"


def _runtime_imports(path: Path) -> set[str]:
    """The labkit.nm modules `path` imports when it is loaded (not under TYPE_CHECKING, not
    inside a function)."""
    tree = ast.parse(path.read_text())
    out: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        for name in names:
            if name.startswith("labkit.nm.") and (NM / f"{name.split('.')[2]}.py").exists():
                out.add(name.split(".")[2])
    return out


def test_the_daemons_parts_import_one_another_without_a_circle() -> None:
    graph = {p.stem: _runtime_imports(p) - {p.stem} for p in NM.glob("*.py")}
    parts = ("core", "settings", "devices", "ipconfig", "activation", "policy", "assume",
             "presentation")
    assert all(p in graph for p in parts)
    for part in parts:  # the parts never reach back to the daemon that wires them
        assert "daemon" not in graph[part]
    done: set[str] = set()

    def visit(node: str, path: tuple[str, ...]) -> None:
        assert node not in path, f"import circle: {' -> '.join((*path, node))}"
        if node in done:
            return
        for dep in graph.get(node, ()):
            visit(dep, (*path, node))
        done.add(node)

    for module in graph:
        visit(module, ())


def test_a_dhcp_timeout_fails_the_activation_through_its_ip_state() -> None:
    with Lab(engine="sim", stable_uuids=True) as lab:
        lab.sh("nmcli connection add type ethernet con-name dhcp37 ifname ens37 autoconnect no "
               "ipv4.method auto ipv4.dhcp-timeout 7 ipv6.method ignore")
        nm = lab.nm
        sc = nm.find_connections("dhcp37")[0]
        pending = nm.activate(sc)
        ac = pending.ac
        lab.sleep(3)
        assert (ac.ip.ipv4, ac.ip.ipv6) == (IPResult.PENDING, IPResult.IGNORED)
        assert ac.state == AcState.ACTIVATING and not pending.done
        lab.sleep(5)  # past ipv4.dhcp-timeout: nothing configured, nothing left waiting
        assert (ac.ip.ipv4, ac.ip.ipv6) == (IPResult.FAILED, IPResult.IGNORED)
        assert ac.state == AcState.DEACTIVATED and pending.done
        assert pending.failed_reason is not None
        assert pending.failed_reason.name == "IP_CONFIG_UNAVAILABLE"
        assert sc.retries == 3  # the failure cost one of the four autoconnect retries
        texts = [line.text for line in nm.journal]
        failed = texts.index("device (ens37): Activation: failed for connection 'dhcp37'")
        assert texts[failed - 1] == "device (ens37): DHCPv4 timed out"

"""The sim without pandas and PyYAML, as in the browser's Pyodide: lab.frame() and
States.frame() give labkit Tables with the DataFrame's columns and values, the preset loads
from its JSON copy, and that copy is the YAML preset's document.

Each "without" runs in a child Python where importing pandas and yaml raises ImportError
(sys.modules[name] = None), as it does in Pyodide, so this machine's copies cannot leak in;
so do the Unix modules Pyodide's standard library leaves out (grp, pwd, termios, ...), and the
child chooses its engine as a notebook's `Lab()` does, so an import of one of them on that path
fails here and not first in the browser."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

from labkit import Lab
from labkit.errors import LabkitError
from labkit.model.topology import PRESET_DIR, preset_names
from labkit.views import frames
from labkit.views.table import Table

BOND = ("nmcli connection add type bond con-name bond0 ifname bond0 mode active-backup "
        "ipv4.method manual ipv4.addresses 192.168.1.61/24 ipv6.method ignore",
        "nmcli connection add type bond-slave ifname ens37 master bond0",
        "nmcli connection add type bond-slave ifname ens38 master bond0")

# the standard library's modules Pyodide leaves out (its docs, "Removed modules", and pwd
# since pyodide#1883; pty and tty need termios)
NOT_IN_PYODIDE = ("grp", "pwd", "termios", "resource", "syslog", "pty", "tty", "curses",
                  "dbm", "venv")

# run in the child: every table as its columns and rows, as JSON on stdout
_CHILD = textwrap.dedent("""
    import json, os, sys
    for name in ("pandas", "yaml", *json.loads(sys.argv[2])):
        sys.modules[name] = None  # import raises ImportError, as in Pyodide
    from labkit import Lab
    from labkit.engines.select import choose
    os.environ.pop("LABKIT_ENGINE", None)  # the suite's; a browser has none
    choose("auto")  # what Lab() does first in a notebook: the probe runs
    from labkit.views import frames
    BOND = json.loads(sys.argv[1])
    out = {}
    with Lab(engine="sim", stable_uuids=True) as lab:
        for line in BOND:
            lab.sh(line)
        lab.sleep(2)
        for kind in frames.KINDS:
            t = lab.frame(kind)
            out[kind] = {"type": type(t).__name__, "columns": t.columns, "rows": t.to_dict()}
        s = lab.nm.states("bond0").frame()
        out["states"] = {"type": type(s).__name__, "columns": s.columns, "index": s.index,
                         "rows": s.to_dict()}
        out["text"] = str(lab.frame("bonds"))
        out["html"] = lab.frame("bonds")._repr_html_()
    print(json.dumps(out, default=str))
""")


@pytest.fixture(scope="module")
def without() -> dict:
    """The tables a lab makes where neither pandas nor yaml imports."""
    done = subprocess.run([sys.executable, "-c", _CHILD, json.dumps(BOND),
                           json.dumps(NOT_IN_PYODIDE)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def with_pandas() -> dict:
    """The same lab's tables as pandas DataFrames, on this machine."""
    out = {}
    with Lab(engine="sim", stable_uuids=True) as lab:
        for line in BOND:
            lab.sh(line)
        lab.sleep(2)
        for kind in frames.KINDS:
            out[kind] = lab.frame(kind)
        out["states"] = lab.nm.states("bond0").frame()
    return out


@pytest.mark.parametrize("kind", frames.KINDS)
def test_same_columns_and_rows(kind: str, without: dict, with_pandas: dict) -> None:
    df = with_pandas[kind]
    got = without[kind]
    assert got["type"] == "Table"
    assert got["columns"] == list(df.columns) == list(frames.COLUMNS[kind])
    want = json.loads(json.dumps(df.to_dict("records"), default=str))
    assert got["rows"] == want


def test_states_table_is_indexed_by_property(without: dict, with_pandas: dict) -> None:
    df = with_pandas["states"]
    got = without["states"]
    assert got["columns"] == list(df.columns)
    assert got["index"] == list(df.index)
    assert [{k: v for k, v in r.items() if k != "property"} for r in got["rows"]] == \
        df.to_dict("records")


def test_the_bond_table_reads_as_text_and_html(without: dict) -> None:
    lines = without["text"].splitlines()
    assert lines[0].split() == list(frames.COLUMNS["bonds"])
    assert [line.split()[1:3] for line in lines[1:]] == [["bond0", "ens37"], ["bond0", "ens38"]]
    assert without["html"].count("<tr>") == 3  # the head and two slaves
    assert "<td style=\"text-align:left\">ens38</td>" in without["html"]


def test_empty_tables_keep_their_columns(with_pandas: dict) -> None:
    assert list(with_pandas["fdb"].columns) == list(frames.COLUMNS["fdb"])
    empty = Table([], frames.COLUMNS["fdb"])
    assert len(empty) == 0 and empty.columns == list(frames.COLUMNS["fdb"])
    assert str(empty) == "Empty table\nColumns: [mac, dev, vlan, master, flags]"


def test_lessons_lookup_works_on_a_table() -> None:
    """Lesson 07 reads lab.frame("links").set_index("name").loc[nic, "tx_packets"]."""
    t = Table([{"name": "ens37", "tx_packets": 4}, {"name": "ens38", "tx_packets": 9}],
              ("name", "tx_packets"))
    assert t.set_index("name").loc["ens38", "tx_packets"] == 9
    with pytest.raises(LabkitError, match="no row 'ens39'"):
        t.set_index("name").loc["ens39", "tx_packets"]
    with pytest.raises(LabkitError, match="no column 'rx'"):
        t.set_index("name").loc["ens38", "rx"]
    with pytest.raises(LabkitError, match="no column 'nic' to index by"):
        t.set_index("nic")


@pytest.mark.parametrize("name", preset_names())
def test_each_preset_ships_as_json_too(name: str) -> None:
    """The browser reads the JSON copy; it must be the YAML preset's document (regenerate:
    python -c 'import json,yaml; ...' as the failure says)."""
    yml = yaml.safe_load((PRESET_DIR / f"{name}.yaml").read_text())
    path = PRESET_DIR / f"{name}.json"
    assert path.is_file(), f"{path} is missing (json.dumps of the YAML preset, indent=1)"
    assert json.loads(path.read_text()) == yml, f"{path} differs from {name}.yaml"


def test_a_yaml_file_without_pyyaml_is_a_sentence(tmp_path: Path) -> None:
    topo = tmp_path / "t.yaml"
    topo.write_text("name: x\nhosts: []\n")
    child = ("import sys; sys.modules['yaml'] = None\n"
             "from labkit.model.topology import load_topology\n"
             f"load_topology({str(topo)!r})")
    done = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 1
    last = done.stderr.strip().splitlines()[-1]
    assert "is not JSON at line 1 column 1" in last
    assert "a topology file must be JSON" in last

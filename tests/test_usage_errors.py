"""API mistakes are one sentence naming the argument (a LabkitError that is also Python's
TypeError or ValueError), and in IPython and Jupyter a LabkitError shows as that sentence alone
while any other exception keeps its traceback."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from labkit import Lab, LabkitError, UsageError, UsageTypeError, UsageValueError, checks

ANSI = re.compile(r"\x1b\[[0-9;]*m")


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    with Lab(engine="sim", networkmanager=False) as running:
        yield running


def sentence(err: pytest.ExceptionInfo[BaseException]) -> str:
    text = str(err.value)
    assert "\n" not in text and len(text) < 200, text
    return text


# -- Lab(...) ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("kwargs", "message"), [
    ({"topology": 42}, "Lab: topology must be a preset name, a file, a mapping or a Topology, "
                       "not the int 42"),
    ({"topology": None}, "Lab: topology must be a preset name, a file, a mapping or a "
                         "Topology, not None"),
    ({"engine": None}, "Lab: engine must be a name (a string), not None"),
    ({"engine": ""}, "Lab: engine must not be empty"),
    ({"flavour": 7}, "Lab: flavour must be a name (a string), not the int 7"),
    ({"locale": b"ja"}, "Lab: locale must be a name (a string) or None, not the bytes b'ja'"),
    ({"lab_id": 7}, "Lab: lab_id must be a name (a string), not the int 7"),
    ({"seed": "1"}, "Lab: seed must be an integer, not the str '1'"),
    ({"seed": True}, "Lab: seed must be an integer, not the bool True"),
    ({"workdir": 5}, "Lab: workdir must be a path (str or pathlib.Path) or None, not the int 5"),
    ({"progress": "yes"}, "Lab: progress must be a function or None, not the str 'yes'"),
    ({"networkmanager": "yes"}, "Lab: networkmanager must be True or False, not the str 'yes'"),
    ({"networkmanager": 1}, "Lab: networkmanager must be True or False, not the int 1"),
    ({"stable_uuids": None}, "Lab: stable_uuids must be True or False, not None"),
    ({"engine": "x" * 300}, "Lab: engine is 300 characters long; names have at most 255"),
])
def test_lab_arguments_of_the_wrong_kind_are_refused(kwargs: dict[str, Any],
                                                      message: str) -> None:
    with pytest.raises(UsageError) as err:
        Lab(**kwargs)
    assert sentence(err) == message
    assert isinstance(err.value, LabkitError)
    assert isinstance(err.value, TypeError | ValueError)


def test_wrong_types_are_type_errors_and_wrong_values_value_errors() -> None:
    with pytest.raises(TypeError):
        Lab(networkmanager="yes")
    with pytest.raises(ValueError):
        Lab(engine="")
    assert issubclass(UsageTypeError, UsageError) and issubclass(UsageValueError, UsageError)


def test_right_arguments_still_make_a_lab(tmp_path: Path) -> None:
    lab = Lab("centos7-bond", "sim", flavour="centos7", locale="ja", lab_id="ok", seed=3,
              workdir=tmp_path, progress=print, networkmanager=False, stable_uuids=True)
    assert lab.engine_name == "sim" and lab.seed == 3


# -- a running lab ----------------------------------------------------------------------------
MISUSES = [
    ("sh", (None,), {}, "Lab.sh: cmd must be a command line (a string), not None"),
    ("sh", (b"ip a",), {}, "Lab.sh: cmd must be a command line (a string), not the bytes "
                           "b'ip a'"),
    ("sh", ("ip a",), {"host": None}, "Lab.sh: host must be a name (a string), not None"),
    ("sleep", ("3",), {}, "Lab.sleep: seconds must be a number of seconds (int or float), not "
                          "the str '3'"),
    ("sleep", (True,), {}, "Lab.sleep: seconds must be a number of seconds (int or float), not "
                           "the bool True"),
    ("sleep", (None,), {}, "Lab.sleep: seconds must be a number of seconds (int or float), not "
                           "None"),
    ("sleep", (-1,), {}, "Lab.sleep: seconds must be 0 or more seconds, not -1"),
    ("sleep", (math.nan,), {}, "Lab.sleep: seconds must be a finite number of seconds, not nan"),
    ("sleep", (math.inf,), {}, "Lab.sleep: seconds must be a finite number of seconds, not inf"),
    ("sleep", (86401,), {}, "Lab.sleep: seconds may be at most 86400 seconds, not 86401"),
    ("unplug", (None,), {}, "Lab.unplug: nic must be a name (a string), not None"),
    ("unplug", ("ens37",), {"host": 3}, "Lab.unplug: host must be a name (a string) or None, "
                                        "not the int 3"),
    ("plug", (["ens37"],), {}, "Lab.plug: nic must be a name (a string), not the list "
                               "['ens37']"),
    ("add_nic", (None,), {}, "Lab.add_nic: name must be a string, not None"),
    ("add_nic", ("ens39",), {"host": 1}, "Lab.add_nic: host must be a name (a string), not the "
                                         "int 1"),
    ("frame", (None,), {}, "Lab.frame: what must be a name (a string), not None"),
    ("frame", ("links",), {"host": 0}, "Lab.frame: host must be a name (a string), not the "
                                       "int 0"),
    ("snapshot", (), {"host": None}, "Lab.snapshot: host must be a name (a string), not None"),
    ("networkmanager_of", (None,), {}, "Lab.networkmanager_of: host must be a name (a "
                                       "string), not None"),
    ("on_change", ("redraw",), {}, "Lab.on_change: callback must be a function, not the str "
                                   "'redraw'"),
    ("dashboard", (), {"bond": 0}, "Lab.dashboard: bond must be a name (a string), not the "
                                   "int 0"),
]


@pytest.mark.parametrize(("method", "args", "kwargs", "message"), MISUSES,
                         ids=[f"{m[0]}-{i}" for i, m in enumerate(MISUSES)])
def test_every_public_method_names_the_wrong_argument(lab: Lab, method: str, args: tuple,
                                                       kwargs: dict, message: str) -> None:
    with pytest.raises(UsageError) as err:
        getattr(lab, method)(*args, **kwargs)
    assert sentence(err) == message


def test_the_checks_come_before_the_lab_is_asked(lab: Lab) -> None:
    stopped = Lab(engine="sim")  # never started: the argument is still what is wrong
    with pytest.raises(UsageTypeError, match=r"^Lab\.sleep: seconds must be"):
        stopped.sleep("3")
    now = lab.engine.clock.now()
    lab.sleep(0)
    lab.sleep(1.5)
    assert lab.engine.clock.now() == pytest.approx(now + 1.5)


def test_names_that_are_not_there_keep_their_sentences(lab: Lab) -> None:
    with pytest.raises(LabkitError) as err:
        lab.sh("ip a", host="rout\u202eer")
    assert sentence(err) == ("no host 'rout\\u202eer' in this lab (hosts: switch, server, "
                             "outside, gw)")
    with pytest.raises(LabkitError, match="no NIC or switch port called 'ens99'"):
        lab.unplug("ens99")
    with pytest.raises(LabkitError, match="unknown table 'nosuch'"):
        lab.frame("nosuch")


# -- checks -----------------------------------------------------------------------------------
def test_check_refuses_what_is_not_a_check(lab: Lab) -> None:
    with pytest.raises(UsageTypeError) as err:
        checks.check(lab, "bond0")  # type: ignore[arg-type]
    assert sentence(err) == ("checks.check: argument 2 must be a check (made by a function of "
                             "labkit.checks, such as checks.bond('bond0')), not the str 'bond0'")
    with pytest.raises(UsageTypeError) as err:
        checks.check(lab, checks.bond("bond0"), checks.bond)  # type: ignore[arg-type]
    assert sentence(err) == ("checks.check: argument 3 is checks.bond itself; call it to make a "
                             "check, as checks.bond(...)")
    with pytest.raises(UsageTypeError) as err:
        checks.check(lab, lambda lab: "bond0 is missing")
    assert sentence(err) == ("checks.check: argument 2 returned the str 'bond0 is missing', "
                             "not a list of problems (strings)")


def test_check_needs_a_lab_and_at_least_one_check(lab: Lab) -> None:
    with pytest.raises(UsageValueError) as err:
        checks.check(lab)
    assert sentence(err) == ("checks.check: give at least one check after the lab, such as "
                             "checks.bond('bond0')")
    with pytest.raises(UsageTypeError) as err:
        checks.check("lab", checks.bond("bond0"))  # type: ignore[arg-type]
    assert sentence(err) == "checks.check: lab must be a Lab, not the str 'lab'"


def test_a_check_of_a_nic_the_lab_lacks_is_a_problem_of_the_lab(lab: Lab) -> None:
    report = checks.check(lab, checks.cable("ens99"), checks.cable("ens37"))
    assert report.problems == ("there is no NIC called ens99 in this lab yet: add it with "
                               'lab.add_nic("ens99")',)
    report = checks.check(lab, checks.cable("ens37", plugged=False))
    assert report.problems == ("the cable of ens37 is plugged in; the exercise wants it pulled: "
                               'lab.unplug("ens37"), or its button on the dashboard',)


@pytest.mark.parametrize(("make", "message"), [
    (lambda: checks.bond(None), "checks.bond: name must be a name (a string), not None"),
    (lambda: checks.slaves("bond0", "ens37", 38),
     "checks.slaves: slave 2 must be a name (a string), not the int 38"),
    (lambda: checks.autoconnect("bond0", "yes"),
     "checks.autoconnect: expected must be True or False, not the str 'yes'"),
    (lambda: checks.cable("ens37", "no"),
     "checks.cable: plugged must be True or False, not the str 'no'"),
    (lambda: checks.reachable("192.168.1.61; reboot"),
     "checks.reachable: ip must be an IPv4 address such as 192.168.1.61, not "
     "'192.168.1.61; reboot'"),
    (lambda: checks.address("bond0", None),
     "checks.address: cidr must be a name (a string), not None"),
])
def test_check_factories_name_their_wrong_argument(make: Any, message: str) -> None:
    with pytest.raises(UsageError) as err:
        make()
    assert sentence(err) == message


# -- IPython and Jupyter ----------------------------------------------------------------------
@pytest.fixture
def ipython() -> Iterator[Any]:
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    colours, mode = shell.colors, shell.InteractiveTB.mode
    shell.run_line_magic("colors", "linux")  # as a notebook: errors in colour
    shell.run_line_magic("xmode", "context")
    yield shell
    shell.run_line_magic("colors", colours)
    shell.run_line_magic("xmode", mode)


def shown(shell: Any, cell: str) -> tuple[list[str], BaseException | None]:
    """The lines a cell's error shows (colour codes removed) and the error it records."""
    from IPython.utils.capture import capture_output

    with capture_output() as out:
        result = shell.run_cell(cell)
    lines = [ANSI.sub("", line) for line in (out.stdout + out.stderr).splitlines() if line]
    return lines, result.error_in_exec


def test_ipython_shows_a_labkit_error_as_its_sentence(ipython: Any) -> None:
    lines, error = shown(ipython, "import labkit\nlab = labkit.Lab(engine='sim')\n"
                                  "lab.sleep('3')")
    assert lines == ["UsageTypeError: Lab.sleep: seconds must be a number of seconds (int or "
                     "float), not the str '3'"]
    assert isinstance(error, UsageTypeError)  # the cell still failed: "run all" stops here
    lines, error = shown(ipython, "labkit.load_topology('no-such-lab')")
    assert lines == ["TopologyError: topology: no preset or file called 'no-such-lab' "
                     "(presets: centos7-bond)"]


def test_ipython_colours_the_name_as_it_colours_errors(ipython: Any) -> None:
    from IPython.utils.capture import capture_output

    with capture_output() as out:
        ipython.run_cell("raise labkit.LabkitError('no host x')")
    assert out.stdout.count("\n") == 1 and "\x1b[" in out.stdout
    assert ANSI.sub("", out.stdout) == "LabkitError: no host x\n"


def test_other_exceptions_keep_their_traceback(ipython: Any) -> None:
    lines, error = shown(ipython, "def f():\n    return 1 / 0\nf()")
    assert isinstance(error, ZeroDivisionError)
    assert len(lines) > 4 and "ZeroDivisionError: division by zero" in lines[-1]
    assert any("return 1 / 0" in line for line in lines)


def test_xmode_verbose_brings_the_traceback_back(ipython: Any) -> None:
    ipython.run_line_magic("xmode", "verbose")
    lines, _ = shown(ipython, "import labkit\nlabkit.Lab(engine='sim').sleep(-1)")
    assert len(lines) > 4 and any("usage.py" in line for line in lines)
    assert lines[-1].endswith("Lab.sleep: seconds must be 0 or more seconds, not -1")


def test_a_real_kernel_sends_the_sentence_as_the_error_traceback(tmp_path: Path) -> None:
    """Through a real Jupyter kernel (nbclient): the error message's `traceback` is the one
    sentence, `ename` and `evalue` are set; any other error keeps its traceback."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("import labkit\nlab = labkit.Lab(engine='sim')\n"
                                          "lab.sh(None)"),
                nbformat.v4.new_code_cell("1 / 0")]
    client = nbclient.NotebookClient(nb, timeout=120, allow_errors=True, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    (labkit_error,) = nb.cells[0].outputs
    assert labkit_error.output_type == "error"
    assert labkit_error.ename == "UsageTypeError"
    assert labkit_error.evalue == "Lab.sh: cmd must be a command line (a string), not None"
    assert [ANSI.sub("", line) for line in labkit_error.traceback] == [
        "UsageTypeError: Lab.sh: cmd must be a command line (a string), not None"]
    (other,) = nb.cells[1].outputs
    assert other.ename == "ZeroDivisionError" and len(other.traceback) > 1

"""%lab and %%lab in a real IPython shell: lines typed into the running lab, echoed after the
host's prompt with their output; a nonzero exit status shown, not raised; no lab, no traceback.
"""

from __future__ import annotations

import pytest
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output

import labkit
from labkit.notebook.magics import command_lines


def shown(out: object) -> str:
    """The text a notebook shows for the last thing displayed."""
    return out.outputs[-1].data["text/plain"]  # type: ignore[attr-defined]


@pytest.fixture
def ipython() -> InteractiveShell:
    shell = InteractiveShell.instance()
    labkit.load_ipython_extension(shell)
    return shell


def test_line_and_cell_magics_type_into_the_running_lab(ipython: InteractiveShell) -> None:
    with labkit.Lab(engine="sim", networkmanager=False):
        with capture_output() as out:
            ipython.run_line_magic("lab", "ip -br link show ens37")
        assert shown(out).startswith("[root@server ~]# ip -br link show ens37\nens37@if")
        with capture_output() as out:
            ipython.run_cell_magic("lab", "outside", "# a comment\nping -c 1 192.168.1.60\n\n"
                                                     "ip -br link show nosuch")
        text = shown(out)
        assert text.startswith("[root@outside ~]# ping -c 1 192.168.1.60\nPING")
        assert "[root@outside ~]# ip -br link show nosuch\n" in text
        assert 'Device "nosuch" does not exist.' in text
        assert text.rstrip().endswith("[exit status 1]")
        html = out.outputs[-1].data["text/html"]
        assert html.count("labkit-terminal") == 1 and "[exit status 1]" in html


def test_without_a_lab_the_magic_says_how_to_start_one(ipython: InteractiveShell) -> None:
    with capture_output() as out:
        ipython.run_line_magic("lab", "nmcli c")
    assert "no lab is running: start one with" in shown(out)
    assert "Traceback" not in shown(out) + out.stdout + out.stderr


def test_the_last_started_lab_is_current() -> None:
    with labkit.Lab(engine="sim", networkmanager=False, lab_id="one") as one:
        assert labkit.current_lab() is one
        with labkit.Lab(engine="sim", networkmanager=False, lab_id="two") as two:
            assert labkit.current_lab() is two
        assert labkit.current_lab() is one
    with pytest.raises(labkit.LabkitError):
        labkit.current_lab()


def test_command_lines_skip_blanks_and_comments() -> None:
    assert command_lines("  nmcli c \n\n# why\n ip a\n") == ["nmcli c", "ip a"]

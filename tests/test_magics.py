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


def _in_fresh_python(code: str) -> str:
    """Run `code` in a new interpreter (labkit not yet imported there) and return its stdout."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_importing_labkit_in_a_running_ipython_loads_it_as_the_extension_once() -> None:
    """The lessons' `import labkit` then %%lab: the import goes through IPython's extension
    manager, so %load_ext afterwards finds it loaded instead of registering again."""
    out = _in_fresh_python(
        "from IPython.core.interactiveshell import InteractiveShell\n"
        "shell = InteractiveShell.instance()\n"
        "import labkit\n"
        "print(sorted(shell.extension_manager.loaded))\n"
        "print('lab' in shell.magics_manager.magics['cell'],"
        " 'predict' in shell.magics_manager.magics['cell'])\n"
        "print(shell.extension_manager.load_extension('labkit'))\n")
    assert out.splitlines() == ["['labkit']", "True True", "already loaded"]


def test_labkit_modules_register_no_magics_on_import() -> None:
    """Without a running IPython at `import labkit`, importing the magics' own modules later
    registers nothing; `%load_ext labkit` does."""
    out = _in_fresh_python(
        "import labkit\n"
        "from IPython.core.interactiveshell import InteractiveShell\n"
        "shell = InteractiveShell.instance()\n"
        "import labkit.notebook.help, labkit.notebook.magics, labkit.checks\n"
        "loaded = shell.extension_manager.loaded\n"
        "print('lab' in shell.magics_manager.magics['cell'], sorted(loaded))\n"
        "shell.run_line_magic('load_ext', 'labkit')\n"
        "print('lab' in shell.magics_manager.magics['line'], sorted(loaded))\n")
    assert out.splitlines() == ["False []", "True ['labkit']"]

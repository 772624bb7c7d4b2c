"""The lab shell against real bash and GNU tools: same text, same exit status.

Text utilities run on a lab file and, for comparison, the real programs on an identical file
on this machine. Then bash's own behaviour: unknown commands, syntax errors, redirections,
exit statuses of lists and pipelines.
"""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from labkit import Lab

from realtools import have, terminal

SAMPLE = """Ethernet Channel Bonding Driver: v6.1.0-56-amd64

Bonding Mode: fault-tolerance (active-backup)
Primary Slave: None
Currently Active Slave: ens37
MII Status: up
Slave Interface: ens37
MII Status: up
Link Failure Count: 0
Slave Interface: ens38
MII Status: down
Link Failure Count: 1
"""

TEXT_COMMANDS = [
    "cat F", "cat F F", "cat F | grep Currently", "grep -c 'MII Status' F",
    "grep -n -A1 'Slave Interface' F", "grep -v MII F | head -3", "grep -i currently F",
    "grep -E 'Currently|Failure' F", "grep 'Slave\\|Mode' F", "grep -w up F", "grep nothing F",
    "grep -q Currently F && echo yes", "grep -o 'ens[0-9]*' F", "head -2 F", "head -n 3 F",
    "tail -2 F", "tail -n 1 F", "head -n x F", "wc -l F", "wc -l < F", "cat F | wc -l",
    "sed -n '3p' F", "sed 's/ens37/ens38/' F | grep ens", "sed -e 's/up/UP/g' -e '/Slave/d' F",
    "sed 's/ens37' F", "sed 3q F", "echo hello", "echo -n a; echo b", "echo a && echo b",
    "false || echo fell back", "true && false", "cat /nonexistent", "cat F /nonexistent",
    "grep x /nonexistent", "cat F | grep -c Slave | wc -l", "sed -i 's/up/DOWN/' F && cat F",
    "echo one > G && cat G", "echo two >> G; echo three >> G; cat G", "nosuchcommand",
    "nosuchcommand | cat", "echo hi | nosuch", "grep", "head -y F", "sleep", "sleep abc",
    "cat F | head -1 | sed 's/v6/V6/'", "echo a 2>&1 | cat", "ls /nonexistent",
]


@pytest.fixture(scope="module")
def module_lab():
    with Lab(engine="sim") as lab:
        yield lab


@pytest.mark.skipif(not have("bash", "grep", "sed", "head", "tail", "wc"), reason="needs GNU tools")
@pytest.mark.parametrize("template", TEXT_COMMANDS)
def test_text_tools_match_gnu(template: str, tmp_path, module_lab) -> None:
    real_file = tmp_path / "F"
    real_file.write_text(SAMPLE)
    module_lab.files.write("server", "/root/F", SAMPLE)
    module_lab.files.write("server", "/root/G", "")
    (tmp_path / "G").write_text("")
    status, real = terminal(template, cwd=str(tmp_path))
    ours = module_lab.sh(template)
    assert (ours.stdout, ours.returncode) == (real, status)


@pytest.mark.parametrize("line, status, text", [
    ("foo", 127, "bash: foo: command not found\n"),
    ("| grep x", 2, "bash: syntax error near unexpected token `|'\n"),
    ("echo a ;; echo b", 2, "bash: syntax error near unexpected token `;;'\n"),
    ("echo 'unterminated", 2, None),
    ("cat > /sys/class/net/bond0/bonding/mode", 1, None),
])
def test_bash_errors(lab, line: str, status: int, text: str | None) -> None:
    result = lab.sh(line)
    assert result.returncode == status
    if text is not None:
        assert result.stdout == text


def test_redirection_into_sysfs_reports_write_errors(lab) -> None:
    lab.sh("ip link add bond0 type bond mode active-backup miimon 100")
    result = lab.sh("echo ens99 > /sys/class/net/bond0/bonding/active_slave")
    assert (result.returncode, result.stdout) == (1, "bash: echo: write error: No such device\n")
    result = lab.sh("echo 1 > /sys/class/net/bond0/bonding/mii_status")
    assert result.returncode == 1
    assert result.stdout == "bash: /sys/class/net/bond0/bonding/mii_status: Permission denied\n"
    result = lab.sh("echo x > /sys/class/net/nosuch/bonding/mode")
    assert result.stdout == "bash: /sys/class/net/nosuch/bonding/mode: No such file or directory\n"


def test_result_displays_like_a_terminal(lab) -> None:
    result = lab.sh("nosuch")
    html = result._repr_html_()
    assert "[root@server ~]# " in html and "nosuch" in html and "exit status 127" in html
    assert result.transcript() == "[root@server ~]# nosuch\nbash: nosuch: command not found\n"


LINE_PIECES = st.sampled_from([
    "ip", "link", "addr", "show", "set", "add", "del", "bond0", "ens37", "type", "bond", "mode",
    "active-backup", "miimon", "100", "master", "nomaster", "up", "down", "-d", "-s", "-br",
    "cat", "/proc/net/bonding/bond0", "/sys/class/net/bond0/bonding/mode", "echo", ">", "|",
    "grep", "Slave", "&&", ";", "ifenslave", "-c", "bridge", "fdb", "sed", "s/a/b/", "'", "\"",
    "route", "default", "via", "192.168.1.1", "neigh", "sleep", "0.1", "head", "-n", "x", "2>&1",
    "route", "&", "wait", "ping", "-c", "1", "192.168.1.61", "ifconfig", "mtu", "9000",
])


@settings(max_examples=300, deadline=None)
@given(st.lists(LINE_PIECES, min_size=1, max_size=9))
def test_random_command_lines_never_raise(words: list[str]) -> None:
    with Lab(engine="sim") as lab:
        result = lab.sh(" ".join(words))
        assert isinstance(result.returncode, int)
        assert "Traceback" not in result.stdout
        assert "internal error in labkit" not in result.stdout, result.stdout


GREP_TEXT = SAMPLE + "a{2} x+y (bar) |pipe| *star [x] \\n back\\slash\n\nabc 123 d9D\n"


@pytest.mark.skipif(not have("grep"), reason="needs GNU grep")
@settings(max_examples=200, deadline=None, derandomize=True)
@given(data=st.data())
def test_generated_patterns_match_gnu_grep(data) -> None:
    """Patterns from the fuzzing grammar (tests/fuzzlines.py) through both greps (C locale):
    the same lines, messages, warnings and status."""
    import subprocess

    import fuzzlines

    from labkit.shell.programs import textutils
    from labkit.shell.session import Invocation

    from realtools import ENV

    draw = fuzzlines.HypothesisDraw(data)
    pattern = fuzzlines.regex(draw)
    assume("\udcff" not in pattern and not any(ord(c) > 127 for c in pattern))
    opts = draw.choose([[], ["-E"], ["-o"], ["-E", "-o"], ["-c"], ["-i"], ["-w"], ["-n", "-E"],
                        ["-v"]])
    args = [*opts, "-e", pattern]
    real = subprocess.run(["grep", *args], input=GREP_TEXT.encode(), capture_output=True,
                          env=ENV, timeout=10, check=False)
    with Lab(engine="sim", networkmanager=False) as lab:
        inv = Invocation(argv=["grep", *args], stdin=GREP_TEXT, host="server", shell=lab.shell)
        status = textutils.grep(inv)
    assert (inv.io.text(1), inv.io.text(2), status) == \
        (real.stdout.decode(), real.stderr.decode(), real.returncode)

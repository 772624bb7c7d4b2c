"""The lab shell's parameters and expansion against real bash: `$?`, assignments, `export`,
`unset`, `${...}` forms, quoting, field splitting, command substitution and bash's errors; then
the variables of a root login shell, which real bash here (not a login shell) cannot show.
"""

from __future__ import annotations

import pytest

from labkit import Lab

from realtools import have, terminal

LINES = [
    "false; echo $?", "x=3; echo $x", "x=3; echo ${x}y '$x' \"$x\"", "echo a${nope}b $nope end",
    "y='a  b'; echo $y; echo \"$y\"", "echo ${x!}", "echo ${x!}; echo after",
    "true && false; echo $?", "false || true; echo $?", "echo ${u:-def} ${u-def2} ${u:+set}",
    "x=1; echo ${x:+set} ${x:-no}", "x=$(false); echo $?", "echo `echo back`",
    "echo \"$(echo a; echo b)\"", "echo $(echo '  spaced   out  ')", "e=; echo \"[$e]\" [$e] ${#e}",
    "x=abc; echo ${#x}", "x=1; unset x; echo \"[$x]\"", "export Z=2; printenv Z",
    "export 1a=3", "unset 1a", "echo ${u?gone}; echo after", "echo $", "echo \"a$\" 'b$'",
    "nosuch=1 nosuch", "a=1 b=2; echo $a$b", "echo \"${x:-$HOME}\"", "v='*'; echo \"$v\"",
    "echo \\$HOME", "echo \"\\$HOME\"", "x=5 echo $x", "f='a b'; echo hi > $f; echo after",
    "echo ${u:=new}; echo $u", "echo '$(no)' \"$(echo yes)\"", "echo $? ; false ; echo $? $?",
    "export -q", "x=1; x=$x$x; echo $x", "n=lo; cat /sys/class/net/$n/mtu",
    "false; echo \"status $?\"", "p=$(echo /nonexistent); cat $p; echo $?",
    "echo $nope | wc -c", "v='a b'; printf_like=\"$v\"; echo \"$printf_like\"",
    "x=1; export x; printenv x", "export -n HOME; printenv HOME; echo $?",
]


@pytest.fixture(scope="module")
def module_lab():
    with Lab(engine="sim") as lab:
        yield lab


@pytest.mark.skipif(not have("bash", "cat", "wc", "printenv"), reason="needs bash")
@pytest.mark.parametrize("line", LINES)
def test_expansion_matches_bash(line: str, module_lab) -> None:
    module_lab._running()[1].variables.clear()  # a fresh shell, as each real bash is
    status, real = terminal(line, cwd="/tmp")
    ours = module_lab.sh(line)
    assert (ours.stdout, ours.returncode) == (real, status)


def test_variables_last_across_lines(module_lab) -> None:
    """Each line of a terminal goes to the same shell: `$?` and variables carry over."""
    module_lab._running()[1].variables.clear()
    module_lab.sh("bond=bond0")
    module_lab.sh("false")
    assert module_lab.sh("echo $? $bond").stdout == "1 bond0\n"
    assert module_lab.sh("echo $bond", host="outside").stdout == "\n"  # another machine


def test_login_shell_variables(module_lab) -> None:
    """A root login on the lab's Debian 12: what login(1), /etc/profile and bash 5.2 set."""
    out = module_lab.sh('echo "$HOME|$USER|$LOGNAME|$PWD|$SHELL|$SHLVL|$UID|$HOSTNAME"').stdout
    assert out == "/root|root|root|/root|/bin/bash|1|0|server\n"
    assert module_lab.sh("echo $PATH").stdout == \
        "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n"
    assert module_lab.sh("echo $BASH_VERSION").stdout == "5.2.15(1)-release\n"
    assert module_lab.sh("UID=3").stdout == "bash: UID: readonly variable\n"
    exported = module_lab.sh("export").stdout.splitlines()
    assert 'declare -x HOME="/root"' in exported and "declare -x OLDPWD" in exported
    assert not any(line.startswith("declare -x HOSTNAME") for line in exported)

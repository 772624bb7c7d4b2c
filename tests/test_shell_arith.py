"""`$((…))` against real bash 5.2 on a pty: values (64-bit wrap, C division, bases,
precedence, short-circuits that do not evaluate), variables holding expressions, assignments
and `++`/`--`, and each of bash's errors with its error token; the line stops at an error.
"""

from __future__ import annotations

import pytest

from labkit import Lab

from realtools import have, terminal

# what each line starts from: a variable holding an expression, two that refer to themselves,
# one holding half an expression
BEFORE = "i=3; k='i+1'; y=y; r=r; q=1+; "
EXPRESSIONS = [
    '1+2',
    'i*2',
    ' 7 / 2 ',
    '7%3',
    '1/0',
    '1+',
    '2**10',
    'x=5, x+1',
    'i++',
    '++i',
    'i+=4',
    '-3%2',
    '1<2 && 3>4',
    '5?6:7',
    '0x1f + 010',
    '2#101',
    'j',
    'k',
    '(1+2)*3',
    '1 2',
    'a b',
    '~5',
    '1<<4|1',
    '!0',
    '3,4',
    '$i+1',
    '"1"+2',
    '08',
    '9223372036854775807+1',
    '1/0+',
    'i=',
    '4/-2',
    '-7/2',
    '2**-1',
    ' 1 + ',
    '  5 / 0  ',
    'UID=5',
    'a=',
    '1 ? 2',
    '1 ? 2 : ',
    'a+++b',
    '3 = 4',
    '1.5',
    '0 && 1/0',
    '1 || 1/0',
    '0 ? 1/0 : 2',
    'z=1<2',
    '64#@_',
    '65#1',
    '2#2',
    '1e3',
    '$x',
    'y',
    'r=r+1',
    '10 > 9 > 8',
    '1 ? : 2',
    '--5',
    '5--',
    'x++=7',
    '3 4',
    'a=1,b=a+1,b',
    '1/0 ? 1 : 2',
    'b /= 0',
    '-9223372036854775807-1',
    '9223372036854775807*3',
    ' ',
    '2**63',
    '1<<65',
    '-1>>1',
    '3<2<1',
    '--i',
    'i--',
    '@',
    'i+',
    '$(echo 2) * 3',
    '0x',
    '1 == 1',
    '++',
    ' +1 ',
    '7 % -3',
    '-7 % 3',
    '-2**2',
    'y=5',
    'q*2',
    'i ? i-- : 9',
    '(i=7) + i',
]
LINES = [
    "echo $((1/0)); echo never", "n=$((3*4)); echo $n", "echo \"$((1+2))\" $((1+2))$((3))",
    "echo $(( $(echo 2) * 3 ))", "echo `echo $((2+2))`", "echo $((1+2)) | wc -c",
    "x=$((1/0)); echo $? $x", "echo $(( (1+2) * (3) ))", "echo ${#k} $((${#k} + 1))",
]


@pytest.fixture(scope="module")
def module_lab():
    with Lab(engine="sim") as lab:
        yield lab


def _same_as_bash(line: str, lab: Lab) -> None:
    lab._running()[1].variables.clear()  # a fresh shell, as each real bash is
    status, real = terminal(line, cwd="/tmp")
    ours = lab.sh(line)
    assert (ours.stdout, ours.returncode) == (real, status)


@pytest.mark.skipif(not have("bash", "wc"), reason="needs bash")
@pytest.mark.parametrize("expression", EXPRESSIONS)
def test_arithmetic_matches_bash(expression: str, module_lab) -> None:
    _same_as_bash(f"{BEFORE}echo $(({expression})); echo rc=$? i=$i", module_lab)


@pytest.mark.skipif(not have("bash", "wc"), reason="needs bash")
@pytest.mark.parametrize("line", LINES)
def test_arithmetic_in_lines_matches_bash(line: str, module_lab) -> None:
    _same_as_bash(BEFORE + line, module_lab)


def test_status_after_an_arithmetic_error(module_lab) -> None:
    """bash gives up the line and `$?` is 1 on the next (an interactive shell goes on)."""
    module_lab.sh("echo $((2**-1)); echo never")
    assert module_lab.sh("echo $?").stdout == "1\n"


def test_self_reference_stops_with_bash_words(module_lab) -> None:
    """A variable naming itself would recurse for ever: bash's message, not a traceback. (An
    expression nested thousands deep is one bash evaluates and labkit refuses with that message:
    Python's stack ends sooner than bash's.)"""
    out = module_lab.sh("loop=loop; echo $((loop + 1))").stdout
    assert out == 'bash: loop: expression recursion level exceeded (error token is "loop")\n'
    deep = module_lab.sh("echo $((" + "!" * 5000 + "0))")
    assert deep.returncode == 1 and "expression recursion level exceeded" in deep.stdout

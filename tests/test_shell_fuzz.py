"""Property: nothing typed into the lab raises, hangs or shows labkit's "internal error".

Generated command lines (tests/fuzzlines.py: the shell's programs, nmcli's and ip's grammars,
redirections, pipes, quotes, odd bytes, names over NAME_MAX, lone surrogates) and profile
files mangled as in an editor, then reloaded, loaded and brought up, on every flavour and
locale of the sim. `lab.sh` must return a ShellResult within the hang guard, every time. One
lab per flavour and locale serves many examples (what state it drifts into does not matter
to the property); it is replaced every RESET_EVERY examples so no example runs on a lab that
hundreds of others have filled.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator

import fuzzlines
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from labkit import Lab
from labkit.shell.result import ShellResult

HANG_GUARD = 60  # seconds for one example (a generous alarm, not a timing)
RESET_EVERY = 40
INTERNAL = "internal error in labkit"
CONFIGS = [(f, loc) for f in fuzzlines.FLAVOURS for loc in fuzzlines.LOCALES]
FUZZ = settings(max_examples=1000, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


class Labs:
    """A started lab per (flavour, locale), replaced every RESET_EVERY uses."""

    def __init__(self) -> None:
        self.labs: dict[tuple[str, str | None], tuple[Lab, int]] = {}

    def get(self, config: tuple[str, str | None]) -> Lab:
        lab, uses = self.labs.get(config, (None, 0))
        if lab is None or uses >= RESET_EVERY:
            if lab is not None:
                lab.close()
            lab, uses = Lab(engine="sim", flavour=config[0], locale=config[1]).start(), 0
        self.labs[config] = (lab, uses + 1)
        return lab

    def close(self) -> None:
        for lab, _ in self.labs.values():
            lab.close()


@pytest.fixture(scope="module")
def labs() -> Iterator[Labs]:
    pool = Labs()
    yield pool
    pool.close()


class Hung(BaseException):
    """The hang guard fired (BaseException: labkit's programs never catch it)."""


def _alarm(signum, frame) -> None:
    raise Hung


def run_guarded(lab: Lab, line: str, host: str = "server") -> ShellResult:
    """`lab.sh(line)` under the hang guard, checked: a ShellResult, no internal error."""
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(HANG_GUARD)
    try:
        result = lab.sh(line, host=host)
    except Hung:
        pytest.fail(f"{host}$ {line!r} did not return within {HANG_GUARD} s")
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert isinstance(result, ShellResult), (line, result)
    assert isinstance(result.returncode, int) and isinstance(result.stdout, str)
    assert INTERNAL not in result.stdout, (host, line, result.stdout)
    result.stdout.encode("utf-8")  # what a notebook displays is text it can encode
    result.transcript().encode("utf-8")
    return result


@FUZZ
@given(data=st.data(), config=st.sampled_from(CONFIGS))
def test_generated_lines_never_raise(labs: Labs, data, config) -> None:
    lab = labs.get(config)
    draw = fuzzlines.HypothesisDraw(data)
    for _ in range(draw.integer(1, 3)):
        run_guarded(lab, fuzzlines.line(draw), host=draw.choose(fuzzlines.HOSTS))


@FUZZ
@given(data=st.data(), config=st.sampled_from(CONFIGS))
def test_generated_sessions_never_raise(labs: Labs, data, config) -> None:
    """A bond built (nmcli, ip, sysfs or ifenslave), then lines aimed at it."""
    lab = labs.get(config)
    for host, line in fuzzlines.session(fuzzlines.HypothesisDraw(data)):
        run_guarded(lab, line, host=host)


def _profile_paths(lab: Lab) -> list[str]:
    paths = []
    for folder in (fuzzlines.KEYFILE_DIR, fuzzlines.IFCFG_DIR):
        if lab.files.is_dir("server", folder):
            paths += [f"{folder}/{n}" for n in lab.files.listdir("server", folder)
                      if not n.startswith(".")]
    return paths


@FUZZ
@given(data=st.data(), config=st.sampled_from(CONFIGS))
def test_hand_edited_profiles_never_raise(labs: Labs, data, config) -> None:
    lab = labs.get(config)
    draw = fuzzlines.HypothesisDraw(data)
    path, follow = fuzzlines.profile_edit(draw, _profile_paths(lab))
    if path is not None:
        try:
            text = lab.files.read("server", path)
        except OSError:
            text = "[connection]\nid=x\ntype=ethernet\n"  # a file the person makes anew
        try:
            lab.files.write("server", path, fuzzlines.mangle(draw, text))
        except OSError:
            pass  # its folder is not on this flavour
    for line in follow:
        run_guarded(lab, line)


@settings(max_examples=30, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_generated_scenarios_replay_to_the_end(data) -> None:
    """`labkit replay` of generated lines: a transcript step per command, never a traceback
    (a directive the lab refuses is a ReplayError naming its line)."""
    from labkit.replay.runner import ReplayError, replay
    from labkit.replay.scenario import Command, parse_scenario

    draw = fuzzlines.HypothesisDraw(data)
    lines = []
    for _ in range(draw.integer(1, 6)):
        host = draw.choose(["", "", "outside", "switch", "nosuch"])
        text = fuzzlines.line(draw).replace("\n", " ").replace("\r", " ").strip() or "true"
        lines.append(draw.choose([f"{host}$ {text}", "@sleep 1", "# note", "@add-nic ens39"]))
    items = parse_scenario("\n".join(lines))
    with Lab(engine="sim") as lab:
        try:
            transcript = replay(items, lab)
        except ReplayError as exc:
            assert "Traceback" not in str(exc)
            return
    assert len([s for s in transcript.steps if not s.implicit]) == \
        len([i for i in items if isinstance(i, Command)])


@pytest.mark.parametrize("line", [
    "echo hi > " + "a" * 300, "echo hi > /tmp/" + "a" * 300 + "/b", "echo hi > \udcff",
    "echo hi > \ud800", "echo \udcff > /root/x; cat /root/x | wc -c", "cd " + "a" * 300,
    "nmcli c load " + "a" * 300, "sed 's/[/x/'", "__real__ id", "cat " + "a" * 300,
    "ls " + "a" * 300, "grep x " + "a" * 300, "echo -e '\\x'", "echo -e '\\xff\\u12'",
    "cat < " + "a" * 300, "nmcli c mod \udcff ipv4.method manual |& wc -c",
])
def test_reported_escapes_are_tool_messages(line: str) -> None:
    with Lab(engine="sim") as lab:
        run_guarded(lab, line)


@pytest.mark.parametrize("flavour, path", [
    ("nm142", f"{fuzzlines.KEYFILE_DIR}/\udcff.nmconnection"),
    ("centos7", f"{fuzzlines.IFCFG_DIR}/ifcfg-\udcff"),
])
def test_a_profile_file_named_with_a_byte_that_is_not_utf8_loads(flavour: str, path: str) -> None:
    """Found by the soak: NetworkManager derives the UUID of a file without one from its
    name's bytes; such a name raised on reload."""
    text = ("[connection]\ntype=ethernet\ninterface-name=ens39\n" if flavour == "nm142"
            else "TYPE=Ethernet\nDEVICE=ens39\nBOOTPROTO=none\n")
    with Lab(engine="sim", flavour=flavour) as lab:
        lab.files.write("server", path, text, mode=0o600)
        run_guarded(lab, "nmcli c reload")
        assert "\ufffd" in run_guarded(lab, "nmcli -f NAME c").stdout


def test_a_port_whose_master_is_no_bond_fails_its_activation() -> None:
    """Found by the soak: a bond profile on an ethernet NIC's name, then a port for it; the
    kernel cannot enslave to an ethernet device, so the port's activation fails (it raised
    out of a daemon timer before)."""
    with Lab(engine="sim") as lab:
        for line in ["nmcli c add type bond ifname ens37 con-name b9",
                     "nmcli c add type bond-slave ifname ens38 master b9", "nmcli c up b9"]:
            assert run_guarded(lab, line).returncode == 0
        result = run_guarded(lab, "nmcli c up bond-slave-ens38")
        assert result.returncode == 4 and "could not be readied" in result.stdout
        run_guarded(lab, "nmcli c reload")
        run_guarded(lab, "sleep 60")


@pytest.mark.parametrize("line, status, text", [
    ("echo hi > " + "a" * 300, 1, f"bash: {'a' * 300}: File name too long\n"),
    ("echo hi > /tmp/" + "a" * 300 + "/b", 1, f"bash: /tmp/{'a' * 300}/b: File name too long\n"),
    ("cd " + "a" * 300, 1, f"bash: cd: {'a' * 300}: File name too long\n"),
    ("cat " + "a" * 300, 1, f"cat: {'a' * 300}: File name too long\n"),
    ("cat < " + "a" * 300, 1, f"bash: {'a' * 300}: File name too long\n"),
    ("ls " + "a" * 300, 2, f"ls: cannot access '{'a' * 300}': File name too long\n"),
    ("cd /etc/hostname", 1, "bash: cd: /etc/hostname: Not a directory\n"),
    ("cat /etc/hostname/x", 1, "cat: /etc/hostname/x: Not a directory\n"),
    ("echo x > /etc/hostname/x", 1, "bash: /etc/hostname/x: Not a directory\n"),
    ("sed 's/[/x/'", 1, "sed: -e expression #1, char 6: unterminated `s' command\n"),
    ("__real__ id", 127, "bash: __real__: command not found\n"),
    ("echo a |& cat", 0, "a\n"),
    ("echo \udcff | wc -c", 0, "2\n"),  # a byte that is not UTF-8 stays one byte
    ("echo \udcff", 0, "\ufffd\n"),  # and shows as a UTF-8 terminal shows it
    ("echo \ud800x", 0, "\ufffdx\n"),  # no terminal can send a lone high surrogate
    ("echo -e 'a\\x41\\u00e9\\c' && echo", 0, "aA\u00e9\n"),
    ("sleep 3650d", 1, "sleep: labkit lets at most 86400 seconds (a day) of lab time pass "
                       "at a time; sleep again for more\n"),
    ("echo x |", 2, "bash: syntax error: unexpected end of file\n"),
])
def test_os_errors_are_the_real_tools_words(lab, line: str, status: int, text: str) -> None:
    """The same words bash and coreutils print on this machine (checked by hand with
    `bash -c`; the lab's /root is the cwd these relative names resolve in)."""
    result = lab.sh(line)
    assert (result.returncode, result.stdout) == (status, text)

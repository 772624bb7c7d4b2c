"""labkit's ping against the real iputils ping 20221126: same text, same status.

Expected texts come from the real program (tests/data/ping, see its README and capture.sh).
The sim runs each captured command line in the centos7-bond lab; only RTTs and the `time NNNms`
of the statistics (and ping's ipg/ewma timing figures) may differ, so those are masked.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from labkit.engines.sim.engine import SimEngine
from labkit.files import LabFiles
from labkit.model.ping import PingEvent, PingRequest, PingRun
from labkit.model.topology import load_topology
from labkit.shell.programs.ping import ping
from labkit.shell.session import Invocation, Shell
from labkit.views import ping as view

DATA = Path(__file__).parent / "data" / "ping"
REPLY = re.compile(r"icmp_seq=(\d+) ttl=(\d+) time=([0-9.]+) ms")
RTT_LINE = re.compile(r"rtt min/avg/max/mdev = ([0-9.]+)/([0-9.]+)/([0-9.]+)/([0-9.]+) ms")

# Cases where labkit says plainly that it does not simulate what the real ping did.
NOT_SIMULATED = {
    "reach_localhost": "IPv6",  # `localhost` is ::1 first: real ping pings over IPv6
    "bcast_b": "broadcast ping (-b)",
}


def _cases(listing: str) -> list[tuple[str, str, str]]:
    rows = []
    for line in (DATA / listing).read_text().splitlines():
        if line and not line.startswith("#"):
            name, arg, cmd = line.split("\t")
            rows.append((name, arg, cmd))
    return rows


def _real(name: str) -> tuple[str, str, int]:
    return ((DATA / f"{name}.stdout").read_text(), (DATA / f"{name}.stderr").read_text(),
            int((DATA / f"{name}.rc").read_text()))


def mask(text: str) -> str:
    """Blank the measured fields: per-reply times, rtt figures, elapsed time, ipg/ewma."""
    text = re.sub(r"time=[0-9.]+ ms", "time=<rtt> ms", text)
    text = re.sub(r"time \d+ms", "time <elapsed>ms", text)
    text = RTT_LINE.sub("rtt min/avg/max/mdev = <rtt> ms", text)
    return re.sub(r"ipg/ewma [0-9.]+/[0-9.]+ ms", "ipg/ewma <ipg> ms", text)


def _us(ms: str) -> int:
    whole, _, frac = ms.partition(".")
    return int(whole) * 1000 + int((frac + "000")[:3])


@pytest.fixture
def sim_lab(tmp_path: Path) -> tuple[SimEngine, Shell]:
    """A fresh centos7-bond sim lab per test (as capture.sh flushes neighbours between cases)."""
    engine = SimEngine()
    engine.build(load_topology("centos7-bond"), "labkit")
    files = LabFiles(tmp_path)
    for host in engine.hosts():
        files.write(host, "/etc/hosts", (DATA / "hosts").read_text())
    shell = Shell(engine, files)
    shell.programs["ping"] = ping
    return engine, shell


def _run(shell: Shell, host: str, cmd: str) -> tuple[str, str, int]:
    """Run one ping the way the shell does (start, wait, finish); its stdout, stderr, status."""
    inv = Invocation(argv=cmd.split(), stdin="", host=host, shell=shell)
    result = ping(inv)
    if not isinstance(result, int):
        result.wait()
        assert result.done
        result = result.finish()
    return inv.io.text(1), inv.io.text(2), result


# -- the sim lab against the real ping ----------------------------------------------------------
@pytest.mark.parametrize("name,host,cmd", [pytest.param(*c, id=c[0]) for c in _cases("cases.txt")
                                           if c[0] not in NOT_SIMULATED])
def test_same_as_real_ping(sim_lab: tuple[SimEngine, Shell], name: str, host: str,
                           cmd: str) -> None:
    _engine, shell = sim_lab
    out, err, status = _run(shell, host, cmd)
    real_out, real_err, real_status = _real(name)
    assert mask(out) == mask(real_out)
    assert err == real_err
    assert status == real_status


@pytest.mark.parametrize("name", sorted(NOT_SIMULATED))
def test_not_simulated_says_so(sim_lab: tuple[SimEngine, Shell], name: str) -> None:
    _engine, shell = sim_lab
    host, cmd = next((h, c) for n, h, c in _cases("cases.txt") if n == name)
    out, err, status = _run(shell, host, cmd)
    assert out == ""
    assert err.startswith("ping: ") and err.count("\n") == 1
    assert NOT_SIMULATED[name] in err and "not simulated" in err
    assert status == 2


def test_through_the_shell_and_in_the_background(sim_lab: tuple[SimEngine, Shell]) -> None:
    """`ping ... &` prints nothing until `wait`, then exactly what ping printed."""
    engine, shell = sim_lab
    real_out, _err, _status = _real("reach_c3_i02")
    start = engine.clock.now()
    bg = shell.run("ping -c 3 -i 0.2 192.168.1.60 &", host="outside")
    assert (bg.stdout, bg.returncode) == ("", 0)
    waited = shell.run("wait", host="outside")
    assert mask(waited.stdout) == mask(real_out)
    assert engine.clock.now() - start == pytest.approx(0.4, abs=0.01)
    fg = shell.run("ping -c 1 foo", host="outside")
    assert (fg.stdout, fg.returncode) == _real("name_unknown")[1:]


def test_without_count_or_deadline_refuses(sim_lab: tuple[SimEngine, Shell]) -> None:
    """A real ping would run until Ctrl-C; the lab shell cannot send one."""
    engine, shell = sim_lab
    before = engine.clock.now()
    out, err, status = _run(shell, "outside", "ping 192.168.1.60")
    assert out == "" and status == 2
    assert err.count("\n") == 1 and "-c COUNT" in err and "-w DEADLINE" in err
    assert engine.clock.now() == before


# -- the view against real statistics -----------------------------------------------------------
def _hand_run(request: PingRequest, transmitted: int, replies: list[tuple[int, int]]
              ) -> PingRun:
    """The PingRun a kernel would report: (icmp_seq, rtt in us) replies, at ideal send times."""
    run = PingRun(request=request, started=0.0, source="192.168.1.10", transmitted=transmitted,
                  last_sent=(transmitted - 1) * request.interval, done=True)
    for seq, us in replies:
        run.events.append(PingEvent("reply", seq, (seq - 1) * request.interval + 0.0001,
                                    rtt_ms=us / 1000, source=request.dst))
    return run


LOSS_RUNS = {  # name: (request, probes the kernel sent, icmp_seq answered)
    "loss_1of3": (PingRequest("192.168.1.60", count=3), 3, [1, 3]),
    "loss_2of3": (PingRequest("192.168.1.60", count=3, timeout=1.0), 3, [1]),
    "loss_all": (PingRequest("192.168.1.60", count=2, timeout=1.0), 2, []),
    "loss_deadline": (PingRequest("192.168.1.60", count=3, deadline=5.0), 4, [1, 3, 4]),
    "loss_deadline_short": (PingRequest("192.168.1.60", count=3, deadline=3.0), 3, [1]),
    "loss_q": (PingRequest("192.168.1.60", count=3), 3, [1, 3]),
}


@pytest.mark.parametrize("name", [n for n, _w, _c in _cases("view_cases.txt")])
def test_statistics_with_loss(name: str) -> None:
    """Loss %, rtt line (the real RTTs fed back), blank last line, status: all as ping."""
    real_out, real_err, real_status = _real(name)
    request, transmitted, answered = LOSS_RUNS[name]
    quiet = name.endswith("_q")
    if quiet:  # no reply lines: the two RTTs are the rtt line's min and max
        rtt = RTT_LINE.search(real_out)
        assert rtt is not None and len(answered) == 2
        rtts = [_us(rtt.group(1)), _us(rtt.group(3))]
    else:
        lines = REPLY.findall(real_out)
        assert [int(seq) for seq, _ttl, _ms in lines] == answered
        rtts = [_us(ms) for _seq, _ttl, ms in lines]
    run = _hand_run(request, transmitted, list(zip(answered, rtts, strict=True)))
    display = view.PingDisplay(hostname="192.168.1.60", address="192.168.1.60", quiet=quiet)
    text = view.render(run, display)
    assert re.sub(r"time \d+ms", "time Nms", text) == re.sub(r"time \d+ms", "time Nms", real_out)
    tally = view.tally(run)
    assert view.exit_status(tally, request.count, request.deadline) == real_status
    assert real_err == ""


def _recorded_outputs() -> list[str]:
    texts = [r["out"] for r in json.loads((DATA / "vm_recordings.json").read_text())]
    texts += [_real(n)[0] for n, _h, _c in _cases("cases.txt") + _cases("view_cases.txt")]
    return [t for t in texts if RTT_LINE.search(t) and REPLY.search(t)]


@pytest.mark.parametrize("text", _recorded_outputs(), ids=lambda t: t.splitlines()[0][5:40])
def test_rtt_arithmetic_on_real_rtts(text: str) -> None:
    """min/avg/max/mdev from the RTTs ping printed; a reply of 1 ms or more is exact only as
    the max, so runs with another such reply are skipped."""
    rtt = RTT_LINE.search(text)
    assert rtt is not None
    times = [ms for _seq, _ttl, ms in REPLY.findall(text)]
    slow = [ms for ms in times if _us(ms) >= 1000]
    if len(slow) > 1 or "DUP" in text:
        pytest.skip("more than one RTT known only to ping's rounding")
    rtts = tuple(_us(rtt.group(3)) if _us(ms) >= 1000 else _us(ms) for ms in times)
    for ms in slow:
        assert view.format_triptime(_us(rtt.group(3))) == ms
    tally = view.PingTally(seen=(), transmitted=len(rtts), received=len(rtts), duplicates=0,
                           errors=0, pipesize=1, elapsed=0.0, rtts_us=rtts)
    assert view.rtt_summary(tally) == rtt.group(0)


@pytest.mark.parametrize("us,text", [(50, "0.050"), (999, "0.999"), (1000, "1.00"),
                                     (9994, "9.99"), (9995, "10.0"), (99949, "99.9"),
                                     (99950, "100"), (123456, "123")])
def test_triptime_rounding_edges(us: int, text: str) -> None:
    """ping's three formats around 1, 10 and 100 ms (the thresholds of gather_statistics)."""
    assert view.format_triptime(us) == text


def test_deadline_stops_at_first_error_batch() -> None:
    """-w: ping leaves after the first batch of errors, though the kernel kept recording."""
    request = PingRequest("192.168.1.99", deadline=5.0)
    run = PingRun(request=request, started=0.0, source="192.168.1.10", transmitted=5,
                  last_sent=4.0, done=True)
    run.events = [PingEvent("unreachable", seq, 3.0, source="192.168.1.10") for seq in (1, 2, 3)]
    run.events.append(PingEvent("unreachable", 4, 5.0, source="192.168.1.10"))
    text = view.render(run, view.PingDisplay(hostname="192.168.1.99", address="192.168.1.99"))
    real_out, _err, real_status = _real("unreach_w5")
    assert mask(text) == mask(real_out)
    assert view.exit_status(view.tally(run), None, 5.0) == real_status

"""The lab's terminal: completion as a pure function, `labkit shell` driven through a pty, and
the notebook's lab served on a Unix socket (lab.terminal(), `labkit shell --attach`)."""

from __future__ import annotations

import os
import signal
import stat
import sys
import threading
import time
from pathlib import Path

import pexpect
import pytest

import labkit
from labkit.terminal import complete as comp
from labkit.terminal.client import RemoteBackend

PROMPT = r"\[root@server ~\]# "
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def hang_guard():
    """Fail a hung test instead of hanging the suite."""
    def on_alarm(signum, frame):
        raise TimeoutError("test_terminal hung")

    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(120)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)


# -- completion, without a lab -----------------------------------------------------------------
FILES = {
    "/": [("etc", True), ("root", True), ("tmp", True)],
    "/etc": [("NetworkManager", True), ("hostname", False), ("hosts", False)],
    "/etc/NetworkManager": [("NetworkManager.conf", False), ("system-connections", True)],
    "/root": [(".bash_history", False), ("notes.txt", False)],
}


def _list(path: str) -> list[tuple[str, bool]]:
    if path not in FILES:
        raise FileNotFoundError(path)
    return FILES[path]


STATE = comp.LabState(programs=("cat", "echo", "ip", "nmcli", "ping", "sed"),
                      connections=("bond0", "ens33", "ens37"),
                      devices=("bond0", "ens33", "ens37", "lo"), list_dir=_list)


def c(line: str) -> list[str]:
    return comp.complete(line, len(line), STATE)


def test_program_names():
    assert c("") == ["cat", "echo", "exit", "ip", "nmcli", "ping", "sed"]
    assert c("e") == ["echo", "exit"]
    assert c("nm") == ["nmcli"]
    assert c("ip a; nm") == ["nmcli"]
    assert c("cat x | se") == ["sed"]


def test_nmcli_objects_and_verbs():
    assert c("nmcli c") == ["connection"]
    assert c("nmcli d") == ["device"]
    assert c("nmcli c ") == sorted(["show", "up", "down", "add", "edit", "delete", "reload",
                                    "load", "modify", "clone", "import", "export", "migrate",
                                    "monitor"])
    assert c("nmcli connection mo") == ["modify", "monitor"]
    assert c("nmcli -t c s") == ["show"]
    assert c("nmcli -f NAME,DEVICE c ") == c("nmcli c ")
    assert c("nmcli d dis") == ["disconnect"]
    assert c("nmcli device disconnect e") == ["ens33", "ens37"]


def test_nmcli_connection_names_and_properties():
    assert c("nmcli c up e") == ["ens33", "ens37"]
    assert c("nmcli connection modify b") == ["bond0"]
    assert c("nmcli connection modify bond0 ipv4.me") == ["ipv4.method"]
    assert c("nmcli connection modify bond0 ipv4.method m") == ["manual"]
    assert c("nmcli connection modify bond0 ipv4.method ") == sorted(
        ["auto", "link-local", "manual", "shared", "disabled"])
    assert c("nmcli connection modify bond0 ipv4.method manual ipv4.addr") == ["ipv4.addresses"]
    assert c("nmcli c mod bond0 +ipv4.addr") == []  # '+' is typed, not completed
    assert c("nmcli c mod bond0 connection.autoconnect ") == ["no", "yes"]
    assert c("nmcli c mod id bond0 connection.interface-name ens3") == ["ens33", "ens37"]
    assert "bond.options" in c("nmcli c modify bond0 bo")
    assert c("nmcli c mod bond0 ipv6.addr-gen-mode e") == ["eui64"]


def test_nmcli_add_keys_and_values():
    assert c("nmcli connection add ty") == ["type"]
    assert c("nmcli connection add type b") == ["bond", "bond-slave"]
    assert c("nmcli c add type bond con-name bond0 ifname bond0 mode a") == ["active-backup"]
    assert c("nmcli c add type bond-slave ifname e") == ["ens33", "ens37"]
    assert c("nmcli c add type bond-slave ifname ens37 mas") == ["master"]


def test_file_paths():
    assert c("cat /e") == ["/etc/"]
    assert c("cat /etc/h") == ["/etc/hostname", "/etc/hosts"]
    assert c("cat /etc/NetworkManager/s") == ["/etc/NetworkManager/system-connections/"]
    assert c("ls /") == ["/etc/", "/proc/", "/root/", "/sys/", "/tmp/"]
    assert c("cat n") == ["notes.txt"]  # relative to /root, the shell's directory
    assert c("cat ") == ["notes.txt"]  # dot files only when asked
    assert c("cat .b") == [".bash_history"]
    assert c("cat ~/no") == ["~/notes.txt"]
    assert c("cat /nowhere/x") == []
    assert c("sed -i s/a/b/ /etc/ho") == ["/etc/hostname", "/etc/hosts"]


def test_state_of_a_running_lab():
    with labkit.Lab(engine="sim") as lab:
        state = comp.state_of(lab, "server")
        assert {"ens33", "ens37", "ens38"} <= set(state.connections)
        assert "nmcli" in state.programs and "ip" in state.programs
        line = "cat /sys/class/net/ens3"
        assert comp.complete(line, len(line), state) == [
            "/sys/class/net/ens33/", "/sys/class/net/ens37/", "/sys/class/net/ens38/"]
        line = "cat /etc/Net"
        assert comp.complete(line, len(line), state) == ["/etc/NetworkManager/"]
        line = "nmcli c up ens3"
        assert comp.complete(line, len(line), state) == ["ens33", "ens37", "ens38"]


# -- `labkit shell` in a pty --------------------------------------------------------------------
def _env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(HOME=str(tmp_path / "home"), XDG_STATE_HOME=str(tmp_path / "state"),
               LABKIT_RUN_DIR=str(tmp_path / "run"), TERM="xterm", PYTHONPATH=str(ROOT))
    env.pop("XDG_RUNTIME_DIR", None)
    return env


def _spawn(args: list[str], tmp_path: Path) -> pexpect.spawn:
    child = pexpect.spawn(sys.executable, ["-m", "labkit", "shell", *args], env=_env(tmp_path),
                          cwd=str(tmp_path), encoding="utf-8", timeout=20,
                          dimensions=(40, 200))
    # keys sent the instant a prompt appears can reach the tty while Python's readline is
    # still setting it up, and be lost (1 run in 3 here): type as a person does, a moment later
    child.delaybeforesend = 0.25
    return child


def _records(tmp_path: Path) -> list[Path]:
    run = tmp_path / "run"
    return sorted(run.glob("*.json")) if run.is_dir() else []


def test_shell_in_a_pty(tmp_path):
    child = _spawn(["--engine", "sim"], tmp_path)
    child.expect(PROMPT)
    assert _records(tmp_path), "the lab of its own is recorded while it runs"
    child.sendline("nmcli c")
    child.expect(r"NAME +UUID +TYPE +DEVICE")
    child.expect(r"ens33 .* ethernet +ens33")
    child.expect(PROMPT)
    # stderr is shown in order with stdout
    child.sendline("echo one; cat /nonexistent; echo two")
    child.expect(r"one\r\ncat: /nonexistent: No such file or directory\r\ntwo\r\n")
    child.expect(PROMPT)
    # tab completion of nmcli's grammar: unique words are completed with a space after them
    child.send("nmcli connection modify ens37 ipv4.me\t")
    child.expect("ipv4.method ")
    child.send("m\t")
    child.expect("manual ")
    child.send("ipv4.addresses 192.168.1.70/24\r")
    child.expect(PROMPT)
    child.sendline("nmcli -g ipv4.method,ipv4.addresses connection show ens37")
    child.expect(r"manual\r\n192.168.1.70/24\r\n")
    child.expect(PROMPT)
    # history: up-arrow brings back the last line
    child.send("\x1b[A")
    child.send("\r")
    child.expect(r"manual\r\n192.168.1.70/24\r\n")
    child.expect(PROMPT)
    # an unknown command: bash's message; Ctrl-C at the prompt drops the line
    child.sendline("nmclii")
    child.expect("bash: nmclii: command not found")
    child.expect(PROMPT)
    child.send("half a line")
    # Ctrl-C once the line is shown: Python's readline misses a SIGINT that arrives while it
    # is still handling the keys before it (it wakes on the next key)
    child.expect("half a line")
    child.sendcontrol("c")
    child.expect(r"\^C\r\n" + PROMPT)
    # Ctrl-C during a long ping returns to the prompt; the lab goes on working
    child.sendline("ping -c 100000000 192.168.1.1")
    child.expect(r"ping -c 100000000 192.168.1.1\r\n")
    time.sleep(0.5)
    child.sendcontrol("c")
    child.expect(r"\^C\r\n" + PROMPT)
    child.sendline("ping -c 1 192.168.1.1")
    child.expect("1 packets transmitted, 1 received")
    child.expect(PROMPT)
    child.sendline("exit")
    child.expect(r"exit\r\n")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert _records(tmp_path) == [], "exit closed the lab"
    history = (tmp_path / "state" / "labkit" / "shell_history").read_text()
    assert "nmcli c\n" in history and "half a line" not in history
    assert stat.S_IMODE((tmp_path / "state" / "labkit" / "shell_history").stat().st_mode) == 0o600


def test_shell_ctrl_d_and_exit_status(tmp_path):
    child = _spawn(["--engine", "sim", "--flavour", "centos7"], tmp_path)
    child.expect(r"\[root@localhost ~\]# ")  # the flavour's hostname, as its files say
    child.sendline("false")
    child.expect(r"\[root@localhost ~\]# ")
    child.sendeof()
    child.expect(r"exit\r\n")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 1  # bash leaves with the last command's status
    assert _records(tmp_path) == []


def test_shell_history_recalled_in_next_session(tmp_path):
    child = _spawn(["--engine", "sim"], tmp_path)
    child.expect(PROMPT)
    child.sendline("echo remembered")
    child.expect(PROMPT)
    child.sendline("exit 3")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 3
    child = _spawn(["--engine", "sim"], tmp_path)
    child.expect(PROMPT)
    child.send("\x1b[A\x1b[A\r")  # `exit 3` was the last line, as in bash's history
    child.expect(r"cho remembered\r\nremembered\r\n")  # readline redraws over `exit 3`
    child.sendline("exit")
    child.expect(pexpect.EOF)


def test_shell_unknown_host_is_one_line(tmp_path):
    child = _spawn(["--engine", "sim", "--host", "nosuch"], tmp_path)
    child.expect(pexpect.EOF)
    child.close()
    assert "labkit: no host 'nosuch' in this lab" in child.before
    assert "Traceback" not in child.before
    assert child.exitstatus == 2
    assert _records(tmp_path) == []


# -- the notebook's lab on a socket -------------------------------------------------------------
def _gone(path: str, within: float = 5.0) -> bool:
    deadline = time.monotonic() + within
    while os.path.exists(path) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not os.path.exists(path)


def test_socket_serves_the_kernels_lab(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    monkeypatch.delenv("JPY_PARENT_PID", raising=False)
    lab = labkit.Lab(engine="sim").start()
    try:
        changes = []
        lab.on_change(lambda: changes.append(1))
        opened = lab.terminal()
        path = opened.socket
        assert path.startswith(str(tmp_path / "labkit"))
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        assert stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode) == 0o700
        assert opened.url is None and f"labkit shell --attach {path}" in opened.text()
        assert lab.terminal().socket == path  # one server per lab
        remote = RemoteBackend(path)
        assert remote.prompt() == "[root@server ~]# "
        out, status = remote.run("nmcli c")
        assert status == 0 and out == lab.sh("nmcli c").stdout
        assert "UP" in lab.snapshot().link("ens38").flags
        before = len(changes)
        out, status = remote.run("ip link set ens38 down")
        assert (out, status) == ("", 0)
        assert "UP" not in lab.snapshot().link("ens38").flags  # the kernel's lab changed
        assert len(changes) > before  # and its observers (the dashboard) were told
        assert remote.complete("nmcli c up ens3", 15) == ["ens33", "ens37", "ens38"]
        assert remote.run("nmcli c up nosuch")[1] == 10
        other = RemoteBackend(path, host="outside")
        assert other.prompt() == "[root@outside ~]# "
        assert other.run("ip -br link show eth0")[0].startswith("eth0@")
        other.close()
        remote.close()
    finally:
        lab.close()
    assert _gone(path), "the socket is removed when the lab closes"


def test_attach_in_a_pty_and_ctrl_c(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    lab = labkit.Lab(engine="sim").start()
    try:
        path = lab.terminal().socket
        child = _spawn(["--attach", path], tmp_path)
        child.expect(PROMPT)
        child.send("nmcli c modi\t")
        child.expect("modify ")
        child.send("ens37 ipv4.me\t")
        child.expect("ipv4.method ")
        child.send("manual ipv4.addresses 192.168.1.71/24\r")
        child.expect(PROMPT)
        profile = next(c for c in lab.nm.connections
                       if c.profile.values["connection"]["id"] == "ens37")
        assert profile.profile.values["ipv4"]["addresses"] == ("192.168.1.71/24",)
        child.sendline("ping -c 100000000 192.168.1.1")
        child.expect(r"192.168.1.1\r\n")
        time.sleep(0.5)
        child.sendcontrol("c")
        child.expect(PROMPT)
        child.sendline("ping -c 1 192.168.1.1")
        child.expect("1 packets transmitted, 1 received")
        child.expect(PROMPT)
        child.sendline("exit")
        child.expect(pexpect.EOF)
        child.close()
        assert child.exitstatus == 0
        assert lab.engine is not None, "leaving an attached terminal leaves the lab running"
        assert lab.sh("echo still here").stdout == "still here\n"
    finally:
        lab.close()
    assert _gone(path)


def test_attach_to_nothing_is_one_line(tmp_path):
    child = _spawn(["--attach", str(tmp_path / "none.sock")], tmp_path)
    child.expect(pexpect.EOF)
    child.close()
    assert "labkit: cannot attach to" in child.before and "Traceback" not in child.before
    assert child.exitstatus == 2


def test_attached_client_told_when_lab_closes(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    lab = labkit.Lab(engine="sim").start()
    path = lab.terminal().socket
    child = _spawn(["--attach", path], tmp_path)
    child.expect(PROMPT)
    closer = threading.Thread(target=lab.close)
    closer.start()
    closer.join()
    child.sendline("nmcli c")
    child.expect("labkit: the lab")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 1
    assert _gone(path)


def test_history_is_bounded(tmp_path):
    history = tmp_path / "state" / "labkit" / "shell_history"
    history.parent.mkdir(parents=True)
    history.write_text("".join(f"echo {n}\n" for n in range(1500)))
    child = _spawn(["--engine", "sim"], tmp_path)
    child.expect(PROMPT)
    child.send("\x1b[A\r")  # the newest line read back
    child.expect(r"\r\n1499\r\n")
    child.sendline("exit")
    child.expect(pexpect.EOF)
    child.close()
    lines = history.read_text().splitlines()
    assert len(lines) == 1000 and lines[-1] == "exit" and lines[-2] == "echo 1499"


# -- a real Jupyter server ------------------------------------------------------------------------
def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def jupyter_server(tmp_path, monkeypatch):
    """A jupyter_server of its own (tmp dirs, a token); the test process plays its kernel."""
    import json
    import subprocess

    runtime = tmp_path / "jupyter-runtime"
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(runtime),
               JUPYTER_CONFIG_DIR=str(tmp_path / "jupyter-config"),
               JUPYTER_DATA_DIR=str(tmp_path / "jupyter-data"), HOME=str(tmp_path / "home"),
               XDG_STATE_HOME=str(tmp_path / "state"), SHELL="/bin/bash")
    (tmp_path / "home").mkdir(exist_ok=True)
    token = "labkit-test-token"
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyter_server", f"--ServerApp.token={token}",
         "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={_free_port()}",
         "--ServerApp.port_retries=0", "--ServerApp.open_browser=False",
         "--ServerApp.allow_root=True", f"--ServerApp.root_dir={tmp_path}"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not list(runtime.glob("jpserver-*.json")):
            assert proc.poll() is None, "jupyter_server did not start"
            assert time.monotonic() < deadline, "jupyter_server did not start in 60 s"
            time.sleep(0.2)
        time.sleep(0.5)  # the info file is written before the server answers
        info = json.loads(next(runtime.glob("jpserver-*.json")).read_text())
        monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(runtime))
        monkeypatch.setenv("JPY_PARENT_PID", str(proc.pid))  # as the server's kernels have it
        monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
        yield info
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _read_terminal(ws, until: str, within: float = 30.0) -> str:
    import json

    import websocket

    seen = ""
    deadline = time.monotonic() + within
    while until not in seen:
        assert time.monotonic() < deadline, f"no {until!r} in the terminal: {seen[-500:]!r}"
        try:
            message = json.loads(ws.recv())
        except websocket.WebSocketTimeoutException:
            continue
        if message[0] == "stdout":
            seen += message[1]
    return seen


def test_lab_terminal_opens_a_jupyterlab_terminal(jupyter_server):
    import json

    import websocket

    lab = labkit.Lab(engine="sim").start()
    try:
        opened = lab.terminal()
        assert opened.name is not None, opened.text()
        assert opened.url == (jupyter_server["base_url"]
                              + f"lab/workspaces/labkit-terminal-{opened.name}")
        assert f'href="{opened.url}"' in opened._repr_html_()
        # the link's workspace, as JupyterLab keeps it, lays out that terminal and nothing else
        import urllib.request
        req = urllib.request.Request(
            jupyter_server["url"] + f"lab/api/workspaces/labkit-terminal-{opened.name}",
            headers={"Authorization": f"token {jupyter_server['token']}"})
        with urllib.request.urlopen(req, timeout=5) as reply:
            layout = json.loads(reply.read())["data"]["layout-restorer:data"]
        assert layout["main"]["dock"]["widgets"] == [f"terminal:{opened.name}"]
        url = jupyter_server["url"].replace("http", "ws", 1).rstrip("/")
        ws = websocket.create_connection(
            f"{url}/terminals/websocket/{opened.name}", timeout=2,
            header=[f"Authorization: token {jupyter_server['token']}"])
        try:
            _read_terminal(ws, "[root@server ~]# ")  # the lab's prompt, not the server's bash
            ws.send(json.dumps(["stdin", "ip link set ens38 down\r"]))
            deadline = time.monotonic() + 30
            while "UP" in lab.snapshot().link("ens38").flags:  # typed into the kernel's lab
                assert time.monotonic() < deadline, "the terminal's command never ran"
                time.sleep(0.1)
            ws.send(json.dumps(["stdin", "ip -br link show ens38\r"]))
            assert " DOWN " in _read_terminal(ws, "<BROADCAST,MULTICAST> \r\n")
        finally:
            ws.close()
    finally:
        lab.close()
    assert _gone(opened.socket)


def test_a_terminal_line_waits_for_the_running_cell(monkeypatch, tmp_path):
    """In IPython a cell holds the lab: a terminal's line runs after the cell, never beside it."""
    import IPython
    from IPython.core.events import EventManager, available_events

    class Shell:
        pass

    shell = Shell()
    shell.events = EventManager(shell, available_events)
    monkeypatch.setattr(IPython, "get_ipython", lambda: shell)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    lab = labkit.Lab(engine="sim").start()
    try:
        path = lab.terminal().socket
        remote = RemoteBackend(path)
        shell.events.trigger("pre_run_cell", None)  # a cell starts
        done = threading.Event()
        thread = threading.Thread(target=lambda: (remote.run("ip link set ens38 down"),
                                                  done.set()))
        thread.start()
        assert not done.wait(0.5), "the line ran while the cell held the lab"
        assert "UP" in lab.snapshot().link("ens38").flags
        shell.events.trigger("post_run_cell", None)  # the cell ends: the line runs
        assert done.wait(20)
        assert "UP" not in lab.snapshot().link("ens38").flags
        thread.join()
        remote.close()
    finally:
        lab.close()
    assert _gone(path)
    assert shell.events.callbacks["pre_run_cell"] == []  # the server's hooks went with it


def test_lines_piped_in_run_without_prompt_or_history(tmp_path):
    import subprocess

    done = subprocess.run([sys.executable, "-m", "labkit", "shell", "--engine", "sim"],
                          input="echo one\ncat /nonexistent\n", capture_output=True, text=True,
                          env=_env(tmp_path), timeout=60)
    assert done.stdout == "one\ncat: /nonexistent: No such file or directory\n"
    assert done.returncode == 1  # the last line's status, as `bash < file`
    assert not (tmp_path / "state" / "labkit" / "shell_history").exists()
    assert _records(tmp_path) == []

"""lab.terminal(): serve the notebook's lab and open a JupyterLab terminal attached to it.

The kernel finds the Jupyter server that started it (its pid is the kernel's JPY_PARENT_PID,
or the kernel's parent), creates a terminal through the server's REST API (POST
/api/terminals), types `exec python -m labkit shell --attach SOCKET` into it over terminado's
websocket, and shows a link that opens it in JupyterLab. JupyterLab 4 has no URL for a terminal
of its own (/lab/terminals/NAME lands on "Path Not Found"), so the link is a workspace made for
it through JupyterLab's workspaces API: /lab/workspaces/labkit-terminal-NAME, whose layout holds
that terminal alone (the learner's own workspace, with the notebook, is left as it is). Without a
server (plain IPython, nbval, a script) the socket is served all the same and the result says
how to attach by hand.
"""

from __future__ import annotations

import html
import json
import os
import shlex
import sys
import time
import urllib.request
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from labkit.errors import LabkitError
from labkit.terminal.server import serve

if TYPE_CHECKING:
    from labkit.frontend import LabFrontage

TIMEOUT = 10.0  # seconds for the server's answers and the terminal's first prompt


@dataclass(frozen=True)
class OpenedTerminal:
    """What lab.terminal() did: the socket served, and the JupyterLab terminal if one opened."""

    socket: str
    command: str  # what attaches a terminal to the lab
    name: str | None = None  # the JupyterLab terminal's name
    url: str | None = None  # opens it in JupyterLab (a path on the Jupyter server)
    why_not: str | None = None  # why no JupyterLab terminal was opened

    def text(self) -> str:
        if self.url:
            return (f"A terminal on this lab is open in JupyterLab: terminal {self.name} "
                    f"({self.url}).")
        return (f"The lab is served on {self.socket}: attach a terminal to it with "
                f"`{self.command}`{f' ({self.why_not})' if self.why_not else ''}.")

    def __str__(self) -> str:
        return self.text()

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(self.text())

    def _repr_html_(self) -> str:
        if not self.url:
            return f"<p>{html.escape(self.text())}</p>"
        url = html.escape(self.url, quote=True)
        return (f'<p><a href="{url}" target="_blank" class="labkit-terminal-link" '
                'style="display:inline-block;padding:4px 12px;border-radius:4px;'
                'background:#1e1e1e;color:#d4d4d4;font-family:monospace;text-decoration:none">'
                f"&#9002; open terminal {html.escape(self.name or '')} on this lab</a> "
                f"(or in any terminal: <code>{html.escape(self.command)}</code>)</p>")


def attach_command(socket_path: str, host: str = "server") -> str:
    """The command line that attaches a terminal to the socket (this Python's labkit)."""
    argv = [sys.executable, "-m", "labkit", "shell", "--attach", socket_path]
    if host != "server":
        argv += ["--host", host]
    return shlex.join(argv)


def open_terminal(lab: LabFrontage, host: str = "server") -> OpenedTerminal:
    """Serve `lab` and open a JupyterLab terminal on it (see the module docstring)."""
    server = serve(lab)
    command = attach_command(str(server.path), host)
    info = running_server()
    if info is None:
        return OpenedTerminal(str(server.path), command,
                              why_not="no Jupyter server started this kernel")
    try:
        name = create_terminal(info)
        type_into(info, name, f"clear; exec {command}\r")
    except (OSError, ValueError, LabkitError) as exc:
        return OpenedTerminal(str(server.path), command,
                              why_not=f"the Jupyter server did not open a terminal: {exc}")
    # a path, not the server's own address: the browser may reach it through a proxy (Binder)
    try:
        workspace = create_workspace(info, name)
    except (OSError, ValueError) as exc:
        return OpenedTerminal(str(server.path), command, name=name,
                              why_not=f"JupyterLab's workspaces API refused a workspace for "
                              f"terminal {name}: {exc}")
    url = str(info.get("base_url") or "/").rstrip("/") + "/lab/workspaces/" + workspace
    return OpenedTerminal(str(server.path), command, name=name, url=url)


def running_server() -> dict[str, Any] | None:
    """The running Jupyter server that started this process's kernel, if any."""
    try:
        from jupyter_server.serverapp import list_running_servers
    except ImportError:
        return None
    parents = {os.getppid()}
    if os.environ.get("JPY_PARENT_PID", "").isdigit():
        parents.add(int(os.environ["JPY_PARENT_PID"]))
    for info in list_running_servers():
        if info.get("pid") in parents:
            return info
    return None


def _request(info: dict[str, Any], method: str, path: str, body: dict[str, Any] | None
             ) -> Any:
    url = info["url"].rstrip("/") + "/" + path.lstrip("/")
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers={
        "Authorization": f"token {info.get('token', '')}", "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=TIMEOUT) as response:
        return json.loads(response.read() or b"null")


def create_terminal(info: dict[str, Any]) -> str:
    """POST /api/terminals: the new terminal's name."""
    reply = _request(info, "POST", "api/terminals", {})
    if not isinstance(reply, dict) or "name" not in reply:
        raise LabkitError("the Jupyter server's terminals API gave no terminal name (are "
                          "terminals enabled?)")
    return str(reply["name"])


def create_workspace(info: dict[str, Any], name: str) -> str:
    """PUT lab/api/workspaces/ID: a JupyterLab workspace showing terminal `name` alone, in
    the layout restorer's format (the terminal tracker restores `terminal:NAME` by running
    terminal:open with its name); its id."""
    workspace = f"labkit-terminal-{name}"
    widget = f"terminal:{name}"
    _request(info, "PUT", f"lab/api/workspaces/{workspace}", {
        "data": {
            "layout-restorer:data": {
                "main": {"dock": {"type": "tab-area", "currentIndex": 0, "widgets": [widget]},
                         "current": widget},
                "left": {"collapsed": True, "visible": True, "widgets": []},
                "right": {"collapsed": True, "visible": True, "widgets": []},
            },
            widget: {"data": {"name": name}},
        },
        "metadata": {"id": workspace},
    })
    return workspace


def type_into(info: dict[str, Any], name: str, keys: str) -> None:
    """Type `keys` into terminal `name` once its shell has printed something (its prompt)."""
    import websocket  # websocket-client, a dependency of jupyter_server

    url = info["url"].rstrip("/").replace("http", "ws", 1) + f"/terminals/websocket/{name}"
    ws = websocket.create_connection(url, timeout=TIMEOUT, header=[
        f"Authorization: token {info.get('token', '')}"])
    try:
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            message = json.loads(ws.recv())
            if isinstance(message, list) and message and message[0] == "stdout":
                break
        ws.send(json.dumps(["stdin", keys]))
    finally:
        ws.close()

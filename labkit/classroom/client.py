"""A script's way into a class's hub, as the test and the benchmark use it: log in through the
hub's HTTP API (the password goes through the hub's PAM), start and stop a server, and run code
in a kernel of that server over Jupyter's kernels API and its websocket (websocket-client, of
the test extras)."""

from __future__ import annotations

import json
import secrets
import time
import urllib.error
import urllib.request
from typing import Any


class Hub:
    """The hub at `url` (the public one, ending in /)."""

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")

    def api(self, method: str, path: str, token: str | None = None,
            body: dict[str, Any] | None = None) -> tuple[int, Any]:
        """(status, JSON reply or text) of one request to the hub (path from /hub/...)."""
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"token {token}"
        data = json.dumps(body).encode() if body is not None else (
            b"" if method == "POST" else None)
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=60) as reply:
                text = reply.read().decode()
                status = reply.status
        except urllib.error.HTTPError as err:
            text, status = err.read().decode(errors="replace"), err.code
        try:
            return status, json.loads(text) if text.strip() else None
        except ValueError:
            return status, text

    def login(self, name: str, password: str) -> str:
        """A token for `name`, as a script logs in (its password checked by the hub)."""
        status, reply = self.api("POST", f"/hub/api/users/{name}/tokens",
                                 body={"auth": {"username": name, "password": password},
                                       "note": "labkit.classroom.client"})
        if status not in (200, 201):
            raise RuntimeError(f"the hub refused {name}'s login: {status} {reply}")
        return reply["token"]

    def spawn(self, name: str, token: str, timeout: float = 120.0) -> str:
        """Start `name`'s server and wait until the hub says it is ready; its URL path."""
        status, reply = self.api("POST", f"/hub/api/users/{name}/server", token)
        if status not in (201, 202):
            raise RuntimeError(f"the hub did not start {name}'s server: {status} {reply}")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            _, user = self.api("GET", f"/hub/api/users/{name}", token)
            server = (user.get("servers") or {}).get("") if isinstance(user, dict) else None
            if server and server.get("ready"):
                return server["url"]
            time.sleep(0.5)
        raise RuntimeError(f"{name}'s server was not ready in {timeout:.0f} s")

    def stop(self, name: str, token: str, timeout: float = 60.0) -> None:
        """Stop `name`'s server and wait until the hub has no server of theirs."""
        status, reply = self.api("DELETE", f"/hub/api/users/{name}/server", token)
        if status not in (202, 204):
            raise RuntimeError(f"the hub did not stop {name}'s server: {status} {reply}")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            _, user = self.api("GET", f"/hub/api/users/{name}", token)
            if not (isinstance(user, dict) and user.get("servers")):
                return
            time.sleep(0.5)
        raise RuntimeError(f"{name}'s server did not stop in {timeout:.0f} s")


class Kernel:
    """A python3 kernel in the server at `server_url` (a path, as the hub gives it)."""

    def __init__(self, hub: Hub, server_url: str, token: str) -> None:
        import websocket

        self.base = hub.url + server_url
        self.token = token
        req = urllib.request.Request(self.base + "api/kernels", method="POST",
                                     data=json.dumps({"name": "python3"}).encode(),
                                     headers={"Authorization": f"token {token}",
                                              "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=60) as reply:
            self.id = json.loads(reply.read())["id"]
        url = self.base.replace("http://", "ws://", 1) + f"api/kernels/{self.id}/channels"
        self.ws = websocket.create_connection(url, timeout=120,
                                              header=[f"Authorization: token {token}"])

    def run(self, code: str) -> tuple[str, list[dict[str, Any]]]:
        """Execute `code`: (its streams and text results, its display data bundles); an
        error in the kernel raises RuntimeError with its name and value."""
        msg_id = secrets.token_hex(8)
        self.ws.send(json.dumps({
            "header": {"msg_id": msg_id, "msg_type": "execute_request", "username": "",
                       "session": secrets.token_hex(8), "version": "5.3"},
            "parent_header": {}, "metadata": {}, "channel": "shell",
            "content": {"code": code, "silent": False, "store_history": False,
                        "user_expressions": {}, "allow_stdin": False, "stop_on_error": True}}))
        text: list[str] = []
        data: list[dict[str, Any]] = []
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if kind == "stream":
                text.append(content["text"])
            elif kind in ("execute_result", "display_data"):
                data.append(content["data"])
                text.append(content["data"].get("text/plain", ""))
            elif kind == "error":
                raise RuntimeError(f"the kernel says {content['ename']}: {content['evalue']}")
            elif kind == "status" and content["execution_state"] == "idle":
                return "".join(text), data

    def close(self) -> None:
        self.ws.close()

"""`labkit shell --attach SOCKET`: the REPL typing into a lab another process (a notebook's
kernel) serves; completion and prompts come from that lab."""

from __future__ import annotations

import socket
from typing import Any

from labkit.errors import LabkitError
from labkit.terminal import protocol


class RemoteBackend:
    """A host of the lab served on `path` (see labkit.terminal.protocol)."""

    def __init__(self, path: str, host: str = "server") -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            self.sock.connect(path)
        except OSError as exc:
            self.sock.close()
            raise LabkitError(f"cannot attach to {path}: {exc.strerror or exc} (is the "
                              "notebook's lab still running? lab.terminal() serves it)") from None
        self.reader = protocol.Reader(self.sock)
        self._prompt = self._ask({"op": "hello", "host": host}, "hello")["prompt"]

    def _receive(self) -> dict[str, Any]:
        try:
            message = self.reader.next()
        except (OSError, ValueError) as exc:
            raise LabkitError(f"the lab's terminal server failed: {exc}") from None
        if message is None:
            raise LabkitError("the lab was closed (the notebook's kernel stopped serving it)")
        if message.get("op") == "error":
            raise LabkitError(str(message.get("message")))
        return message

    def _ask(self, message: dict[str, Any], *expected: str) -> dict[str, Any]:
        try:
            protocol.send(self.sock, message)
        except OSError:
            raise LabkitError("the lab was closed (the notebook's kernel stopped serving "
                              "it)") from None
        reply = self._receive()
        if reply.get("op") not in expected:
            raise LabkitError(f"unexpected reply from the lab: {reply.get('op')!r}")
        return reply

    def prompt(self) -> str:
        return self._prompt

    def run(self, line: str) -> tuple[str, int]:
        try:
            protocol.send(self.sock, {"op": "run", "line": line})
        except OSError:
            raise LabkitError("the lab was closed (the notebook's kernel stopped serving "
                              "it)") from None
        try:
            reply = self._receive()
        except KeyboardInterrupt:  # Ctrl-C: the server stops the line, then says so
            protocol.send(self.sock, {"op": "interrupt"})
            reply = self._receive_after_interrupt()
            self._prompt = reply.get("prompt") or self._prompt
            raise
        self._prompt = reply.get("prompt") or self._prompt
        if reply.get("op") == "interrupted":
            raise KeyboardInterrupt
        return str(reply["output"]), int(reply["status"])

    def _receive_after_interrupt(self) -> dict[str, Any]:
        while True:
            try:
                return self._receive()
            except KeyboardInterrupt:  # pressed again: ask again, keep waiting
                protocol.send(self.sock, {"op": "interrupt"})

    def complete(self, line: str, cursor: int) -> list[str]:
        reply = self._ask({"op": "complete", "line": line, "cursor": cursor}, "matches")
        return [str(m) for m in reply["matches"]]

    def close(self) -> None:
        self.sock.close()

"""The attach protocol: one JSON object a line, each way, over the lab's Unix socket.

Client to server: {"op": "hello", "host": H} first, then {"op": "run", "line": L},
{"op": "complete", "line": L, "cursor": N}, {"op": "interrupt"} (Ctrl-C while a line runs).
Server to client: {"op": "hello", "prompt": P} | {"op": "result", "output": T, "status": N,
"prompt": P} | {"op": "interrupted", "prompt": P} | {"op": "matches", "matches": [...]} |
{"op": "error", "message": M} (the lab closed, a bad host: the client says it and leaves).
"""

from __future__ import annotations

import json
import socket
from typing import Any

MAX_LINE = 1 << 24  # a command's output may be long (journalctl), not endless


def send(sock: socket.socket, message: dict[str, Any]) -> None:
    sock.sendall(json.dumps(message).encode("ascii") + b"\n")


class Reader:
    """Messages from a socket, one JSON line at a time; None at the end of the stream."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = b""

    def next(self) -> dict[str, Any] | None:
        while b"\n" not in self.buffer:
            if len(self.buffer) > MAX_LINE:
                raise ValueError("message too long")
            chunk = self.sock.recv(65536)
            if not chunk:
                return None
            self.buffer += chunk
        line, _, self.buffer = self.buffer.partition(b"\n")
        message = json.loads(line.decode("utf-8", "surrogateescape"))
        if not isinstance(message, dict):
            raise ValueError("a message is a JSON object")
        return message

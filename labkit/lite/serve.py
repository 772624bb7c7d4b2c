"""Serving a built site on localhost, as any static host would (Python's own HTTP server: the
site needs no server of its own, only the right types for .mjs and .wasm)."""

from __future__ import annotations

import contextlib
import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

from labkit.errors import LabkitError

TYPES = {".mjs": "text/javascript", ".js": "text/javascript", ".wasm": "application/wasm",
         ".json": "application/json", ".whl": "application/zip", ".ipynb": "application/json"}


class _Handler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {  # noqa: RUF012 (an instance attribute of the base class, set per class)
        **http.server.SimpleHTTPRequestHandler.extensions_map, **TYPES}

    def log_message(self, format: str, *args: object) -> None:  # quiet: a learner's terminal
        pass


def server(site: Path, port: int = 8800, host: str = "127.0.0.1") -> http.server.HTTPServer:
    """An HTTP server of `site` on host:port (port 0: any free one), not yet serving."""
    if not (site / "index.html").is_file():
        raise LabkitError(f"{site} is not a built site (no index.html): ./lab lite builds one")
    handler = functools.partial(_Handler, directory=str(site))
    try:
        return http.server.ThreadingHTTPServer((host, port), handler)
    except OSError as exc:
        raise LabkitError(f"cannot serve on {host}:{port}: {exc.strerror}") from None


@contextlib.contextmanager
def serving(site: Path, port: int = 0) -> Iterator[str]:
    """The site served in a thread while the block runs; its URL."""
    httpd = server(site, port)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()

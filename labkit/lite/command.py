"""`./lab lite`: build the browser site (and serve it on localhost with --serve)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from labkit.errors import LabkitError
from labkit.lite import build, serve


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="./lab lite", description="Build the course as a static JupyterLite site whose "
        "Pyodide kernel runs labkit's sim; any static host serves the folder.")
    parser.add_argument("--out", type=Path, default=build.DEFAULT_OUT,
                        help="the site's folder (default: lite/site, ignored by git)")
    parser.add_argument("--serve", action="store_true",
                        help="then serve it on http://127.0.0.1:PORT until Ctrl-C")
    parser.add_argument("--port", type=int, default=8800, help="for --serve (default 8800)")
    parser.add_argument("--no-build", action="store_true",
                        help="serve the site already in --out without building it again")
    args = parser.parse_args(argv)
    say = lambda text: print(f"[labkit] {text}", file=sys.stderr)  # noqa: E731
    try:
        if not args.no_build:
            site = build.build(args.out, log=say)
            say(f"site: {site.out} ({site.bytes / 1e6:.1f} MB, Pyodide "
                f"{site.pyodide_bytes / 1e6:.1f} MB; {len(site.notebooks)} notebooks)")
        if args.serve:
            httpd = serve.server(args.out.resolve(), args.port)
            say(f"serving {args.out} on http://127.0.0.1:{httpd.server_address[1]}/ "
                "(Ctrl-C stops)")
            try:
                httpd.serve_forever()
            except KeyboardInterrupt:
                pass
            finally:
                httpd.server_close()
    except LabkitError as exc:
        say(str(exc))
        return 2
    return 0

"""`labkit shell`: an interactive terminal on a lab of its own, or attached to a notebook's lab."""

from __future__ import annotations

import argparse
import sys

from labkit.i18n import _


def add_parser(sub: argparse._SubParsersAction) -> None:
    sp = sub.add_parser("shell", help=_("an interactive terminal on a lab (its own, or a "
                                        "notebook's with --attach)"),
                        description=_("Type into a lab's host as into its terminal: the host's "
                                      "prompt, history, tab completion of programs, paths and "
                                      "nmcli. `exit` or Ctrl-D leaves (and removes a lab of its "
                                      "own)."))
    sp.add_argument("--host", default="server",
                    help=_("the host to type into (default: server)"))
    sp.add_argument("--attach", metavar="SOCKET", default=None,
                    help=_("type into the lab a notebook serves on SOCKET (lab.terminal())"))
    sp.add_argument("--engine", default="auto", help=_("auto (default), sim or netns"))
    sp.add_argument("--flavour", default="nm142", help=_("nm142 (default) or centos7"))
    sp.add_argument("--locale", default=None, help=_("C (default) or ja"))
    sp.add_argument("--topology", default="centos7-bond",
                    help=_("a preset name or a YAML file"))


def run(args: argparse.Namespace) -> int:
    from labkit.terminal import repl

    if args.attach:
        from labkit.terminal.client import RemoteBackend

        return repl.run(RemoteBackend(args.attach, args.host))
    from labkit.lab import Lab
    from labkit.terminal.backend import LabBackend

    lab = Lab(args.topology, engine=args.engine, flavour=args.flavour, locale=args.locale,
              progress=_progress if sys.stderr.isatty() else None)
    lab.start()
    try:
        backend = LabBackend(lab, args.host, owns_lab=True)
    except BaseException:
        lab.close()
        raise
    return repl.run(backend)


def _progress(text: str) -> None:
    print(f"labkit: {text}", file=sys.stderr, flush=True)

"""The `labkit` command: replay scenarios on an engine and print their transcript.

Errors a user can cause (bad scenario, unknown engine or flavour, bad topology) end in one line
on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import sys

from labkit import __version__
from labkit.errors import LabkitError


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="labkit", description="labkit: learn Linux bonding "
                                 "hands-on in a lab of network namespaces or a simulator.")
    ap.add_argument("--version", action="version", version=f"labkit {__version__}")
    sub = ap.add_subparsers(dest="command", metavar="COMMAND")
    rp = sub.add_parser("replay", help="run a scenario file and print its transcript",
                        description="Run a scenario (lines '$ CMD', 'HOST$ CMD', '# text', "
                        "'@sleep SECONDS', '@networkmanager off') on a fresh lab and print "
                        "what each command printed.")
    rp.add_argument("scenario", help="the scenario file")
    rp.add_argument("--engine", default="auto", help="auto (default), sim, netns or vm")
    rp.add_argument("--flavour", default="nm142", help="nm142 (default) or centos7")
    rp.add_argument("--locale", default=None, help="C (default) or ja")
    rp.add_argument("--topology", default="centos7-bond", help="a preset name or a YAML file")
    rp.add_argument("--seed", type=int, default=0, help="the sim's random seed")
    rp.add_argument("--stable-uuids", action="store_true",
                    help="derive NetworkManager's UUIDs from the seed (reproducible output)")
    rp.add_argument("--json", action="store_true", help="print the JSON transcript")
    sub.add_parser("masks", help="list what transcript comparisons may ignore, and why")
    return ap


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "replay":
            return _replay(args)
        if args.command == "masks":
            from labkit.replay.masks import describe

            print(describe())
            return 0
        build_parser().print_help()
        return 2
    except LabkitError as exc:
        print(f"labkit: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("labkit: interrupted; the lab was removed", file=sys.stderr)
        return 130


def _replay(args: argparse.Namespace) -> int:
    from labkit.lab import Lab
    from labkit.replay.runner import replay
    from labkit.replay.scenario import lab_options, load_scenario

    items = load_scenario(args.scenario)
    lab = Lab(args.topology, engine=args.engine, flavour=args.flavour, locale=args.locale,
              seed=args.seed, stable_uuids=args.stable_uuids, **lab_options(items))
    with lab:
        transcript = replay(items, lab)
    sys.stdout.write(transcript.to_json() if args.json else transcript.to_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())

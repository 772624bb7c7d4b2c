"""The `labkit` command: replay scenarios on an engine and print their transcript.

Errors a user can cause (bad scenario, unknown engine or flavour, bad topology) end in one line
on stderr and exit status 2, never a traceback. Its words follow the environment's language
(LANGUAGE, LC_ALL, LC_MESSAGES, LANG: labkit.i18n), argparse's own sentences too (Python
ships no Japanese argparse: while main() runs, argparse's gettext is labkit's catalogue, which
holds the sentences ARGPARSE_MESSAGES lists); help in Japanese is wrapped by display width.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import sys
import unicodedata
from collections.abc import Iterator
from typing import Any

from labkit import __version__, i18n
from labkit.classroom import command as classroom_command
from labkit.classroom import grading as grading_command
from labkit.course import command as course_command
from labkit.errors import LabkitError
from labkit.i18n import N_, _
from labkit.terminal import command as shell_command

# argparse's own sentences (Python 3.11's wording) a user meets: a mistyped command's error and
# the help's headings; argparse says them through its module's `_`, labkit's while main() runs
ARGPARSE_MESSAGES = (
    N_("usage: "), N_("positional arguments"), N_("options"),
    N_("show this help message and exit"), N_("show program's version number and exit"),
    N_("%(prog)s: error: %(message)s\n"), N_("argument %(argument_name)s: %(message)s"),
    N_("the following arguments are required: %s"), N_("unrecognized arguments: %s"),
    N_("invalid choice: %(value)r (choose from %(choices)s)"),
    N_("invalid %(type)s value: %(value)r"), N_("expected one argument"),
    N_("expected at most one argument"), N_("expected at least one argument"),
    N_("ambiguous option: %(option)s could match %(matches)s"),
    N_("one of the arguments %s is required"), N_("not allowed with argument %s"),
    N_("ignored explicit argument %r"),
)


@contextlib.contextmanager
def argparse_speaking() -> Iterator[None]:
    """Within the block, argparse's sentences come from labkit's catalogue (in the language
    labkit speaks now); argparse's own gettext again after it."""
    saved = argparse._, argparse.ngettext  # type: ignore[attr-defined]
    argparse._, argparse.ngettext = i18n._, i18n.ngettext  # type: ignore[attr-defined]
    try:
        yield
    finally:
        argparse._, argparse.ngettext = saved  # type: ignore[attr-defined]


# characters a terminal shows two columns wide (CJK, kana, fullwidth forms), which a line may
# break between; and the punctuation that must not begin a line
_WIDE = ("\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60"
         "\uffe0-\uffe6")
_TOKENS = re.compile(rf"\s+|[{_WIDE}]|[^\s{_WIDE}]+")
_NO_LINE_START = set("、。，．）」』】〕：；！？ー々ぁぃぅぇぉっゃゅょァィゥェォッャュョ)")


def width(text: str) -> int:
    """How many terminal columns `text` takes (East Asian wide and fullwidth: two)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def wrap(text: str, columns: int) -> list[str]:
    """`text` in lines of at most `columns` terminal columns, broken at spaces and between
    wide characters (Japanese has no spaces to break at), never before closing punctuation."""
    tokens: list[str] = []
    for token in _TOKENS.findall(" ".join(text.split())):
        if tokens and token[0] in _NO_LINE_START:
            tokens[-1] += token
        else:
            tokens.append(token)
    lines, line = [], ""
    for token in tokens:
        if line.strip() and width(line + token.rstrip()) > columns:
            lines.append(line.rstrip())
            line = token.lstrip()
        else:
            line += token
    if line.strip():
        lines.append(line.rstrip())
    return lines


def _is_wide(text: str) -> bool:
    return any(unicodedata.east_asian_width(c) in "WF" for c in text)


class _Formatter(argparse.HelpFormatter):
    """argparse's help, its "usage:" in labkit's language, Japanese wrapped by display width
    (argparse's textwrap breaks at spaces only, and counts a wide character as one column)."""

    def add_usage(self, usage: str | None, actions: Any, groups: Any,
                  prefix: str | None = None) -> None:
        super().add_usage(usage, actions, groups, _("usage: ") if prefix is None else prefix)

    def _split_lines(self, text: str, width: int) -> list[str]:
        return wrap(text, width) if _is_wide(text) else super()._split_lines(text, width)

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if not _is_wide(text):
            return super()._fill_text(text, width, indent)
        return "\n".join(indent + line for line in wrap(text, width - len(indent)))


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose help is _Formatter's; its subcommands' parsers are _Parsers
    too (argparse makes them of the parser's class, but with its default formatter)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)


def build_parser() -> argparse.ArgumentParser:
    ap = _Parser(prog="labkit", add_help=False,
                                 description=_("labkit: learn Linux bonding hands-on in a lab "
                                               "of network namespaces or a simulator."))
    ap._positionals.title = _("positional arguments")
    ap._optionals.title = _("options")
    ap.add_argument("-h", "--help", action="help", help=_("show this help message and exit"))
    ap.add_argument("--version", action="version", version=f"labkit {__version__}",
                    help=_("show labkit's version and exit"))
    sub = ap.add_subparsers(dest="command", metavar="COMMAND")
    rp = sub.add_parser("replay", help=_("run a scenario file and print its transcript"),
                        description=_("Run a scenario (lines '$ CMD', 'HOST$ CMD', '# text', "
                                      "'@sleep SECONDS', '@networkmanager off') on a fresh lab "
                                      "and print what each command printed."))
    rp.add_argument("scenario", help=_("the scenario file"))
    rp.add_argument("--engine", default="auto", help=_("auto (default), sim, netns or vm"))
    rp.add_argument("--flavour", default="nm142", help=_("nm142 (default) or centos7"))
    rp.add_argument("--locale", default=None, help=_("C (default) or ja"))
    rp.add_argument("--topology", default="centos7-bond",
                    help=_("a preset name or a YAML file"))
    rp.add_argument("--seed", type=int, default=0, help=_("the sim's random seed"))
    rp.add_argument("--stable-uuids", action="store_true",
                    help=_("derive NetworkManager's UUIDs from the seed (reproducible output)"))
    rp.add_argument("--json", action="store_true", help=_("print the JSON transcript"))
    sub.add_parser("masks", help=_("list what transcript comparisons may ignore, and why"))
    dp = sub.add_parser("doctor", help=_("what this machine can run labs on, and which engine "
                                         "`auto` picks"))
    dp.add_argument("--engine", action="store_true",
                    help=_("print only the engine a lab gets here, and why (one line)"))
    cp = sub.add_parser("cleanup", help=_("remove what crashed labs left behind (processes, "
                                          "mounts, namespaces, working directories) as their "
                                          "state records list it"))
    cp.add_argument("lab_ids", nargs="*", metavar="LAB_ID",
                    help=_("only these labs (default: every lab whose process is gone)"))
    np = sub.add_parser("notebooks", help=_("make or update your own copy of the course's "
                                            "notebooks (never writing over your changes) and "
                                            "print where it is"))
    np.add_argument("--course", default="notebooks",
                    help=_("the course's notebooks (default: notebooks/)"))
    nsub = np.add_subparsers(dest="action", metavar="ACTION")
    rs = nsub.add_parser("reset", help=_("give notebooks their course version back (yours "
                                         "go to backups/ first)"))
    rs.add_argument("names", nargs="*", metavar="NOTEBOOK", help="03, 03-one-mac-for-all, ...")
    rs.add_argument("--all", action="store_true", help=_("every notebook of the course"))
    course_command.add_parser(sub)
    shell_command.add_parser(sub)
    grading_command.add_parser(sub)
    classroom_command.add_parser(sub)
    pp = sub.add_parser("progress", help=_("which of the course's exercises you have done "
                                           "(from your progress record: LABKIT_PROGRESS, else "
                                           "~/.local/share/labkit/progress.json)"))
    pp.add_argument("--course", default=None,
                    help=_("the course's notebooks (default: notebooks/ of this checkout)"))
    vp = sub.add_parser("vm", help=_("run a command in a micro-VM with a real kernel that has "
                                     "the bonding driver (labkit inside uses the netns "
                                     "engine)"))
    vp.add_argument("argv", nargs=argparse.REMAINDER, metavar="-- COMMAND ...")
    return ap


def main(argv: list[str] | None = None) -> int:
    with argparse_speaking():
        return _main(argv)


def _main(argv: list[str] | None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "replay":
            return _replay(args)
        if args.command == "doctor":
            return _doctor(engine_only=args.engine)
        if args.command == "cleanup":
            return _cleanup(args.lab_ids)
        if args.command == "notebooks":
            return _notebooks(args)
        if args.command == "vm":
            return _vm(args.argv)
        if args.command == "progress":
            from labkit import progress

            print(progress.report(args.course).text())
            return 0
        if args.command == "course":
            return course_command.run(args)
        if args.command == "shell":
            return shell_command.run(args)
        if args.command == "grading":
            return grading_command.run(args)
        if args.command == "classroom":
            return classroom_command.run(args)
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
        print("labkit: " + _("interrupted; the lab was removed"), file=sys.stderr)
        return 130


def _progress(text: str) -> None:
    print(f"labkit: {text}", file=sys.stderr, flush=True)


def _doctor(engine_only: bool = False) -> int:
    from labkit.engines.probe import probe
    from labkit.engines.select import choose

    if not engine_only:  # --engine: the one line ./lab says before JupyterLab starts
        print(probe().table() + "\n")
    choice = choose("auto")
    print((_("engine: {name} ({reason})") if engine_only else
           _("engine auto: {name} ({reason})")).format(name=choice.name, reason=choice.reason))
    return 0


def _cleanup(lab_ids: list[str]) -> int:
    """Remove what labs whose process is gone left behind, as their records list it: the
    processes they started, their mounts, namespaces and working directories; then the temp
    files of saves a kill interrupted. A running lab's record is left alone."""
    from labkit.engines import records

    found = [r for r in records.all_records() if not lab_ids or r.lab_id in lab_ids]
    unknown = set(lab_ids) - {r.lab_id for r in found}
    for lab_id in sorted(unknown):
        print("labkit: " + _("no record of a lab {lab_id}").format(lab_id=repr(lab_id)),
              file=sys.stderr)
    status = 1 if unknown else 0
    removed: dict[str, list[str]] = {}  # lab id -> what was removed (a lab may hold 2 records)
    running: set[tuple[str, int]] = set()
    for rec in found:
        if rec.owner_alive():
            if (rec.lab_id, rec.pid) not in running:
                print(_("lab {lab_id}: still running in process {pid}; left alone").format(
                    lab_id=rec.lab_id, pid=rec.pid))
            running.add((rec.lab_id, rec.pid))
            status = 1
            continue
        removed.setdefault(rec.lab_id, []).extend(records.remove(rec))
    for lab_id, what in removed.items():
        print(_("lab {lab_id}: removed {what}").format(
            lab_id=lab_id, what=", ".join(what) if what else
            _("its record (nothing else was left)")))
    stale = records.remove_stale_temp_files(lab_ids or None)
    if stale:
        print(_("removed {what}").format(what=", ".join(stale)))
    if not found and not unknown and not stale:
        print(_("nothing to clean up"))
    return status


def _notebooks(args: argparse.Namespace) -> int:
    """Sync the learner's copy (its path on stdout, for ./lab) or reset notebooks in it."""
    from pathlib import Path

    from labkit import workcopy

    course = Path(args.course)
    copy = workcopy.location(course)
    try:
        if args.action == "reset":
            if bool(args.names) == args.all:
                raise LabkitError(_("reset: name the notebooks (./lab reset 03 05) or give "
                                    "--all, not both") if args.all else
                                  _("reset: which notebook? (./lab reset 03, or --all)"))
            for done in workcopy.reset(course, copy, None if args.all else args.names):
                print(done.report())
            return 0
        for line in workcopy.sync(course, copy).report():
            _progress(line)
    except OSError as exc:  # a directory the user cannot write, a full disk
        raise LabkitError(f"{exc.filename or copy}: {exc.strerror}") from None
    print(copy)
    return 0


def _vm(argv: list[str]) -> int:
    from labkit.engines import vm

    argv = argv[1:] if argv[:1] == ["--"] else argv
    if not argv:
        raise LabkitError(_("labkit vm: which command? (labkit vm -- pytest -m bonding)"))
    return vm.run(argv, progress=_progress)


def _replay(args: argparse.Namespace) -> int:
    if args.engine == "vm":
        from labkit.engines import vm

        inner = [sys.executable, "-m", "labkit", "replay", "--engine", "netns",
                 os.path.abspath(args.scenario), "--flavour", args.flavour,
                 "--topology", args.topology, "--seed", str(args.seed)]
        inner += (["--locale", args.locale] if args.locale else [])
        inner += (["--stable-uuids"] if args.stable_uuids else [])
        inner += (["--json"] if args.json else [])
        return vm.run(inner, progress=_progress)
    from labkit.lab import Lab
    from labkit.replay.runner import ReplayError, replay
    from labkit.replay.scenario import lab_options, load_scenario

    items = load_scenario(args.scenario)
    options = {"locale": args.locale, **lab_options(items)}  # a scenario's @locale wins
    lab = Lab(args.topology, engine=args.engine, flavour=args.flavour, seed=args.seed,
              stable_uuids=args.stable_uuids, **options)
    with lab:
        try:
            transcript = replay(items, lab, source=args.scenario)
        except ReplayError as exc:  # what ran before the refused line is output too
            sys.stdout.write(exc.transcript.to_json() if args.json else exc.transcript.to_text())
            raise
    sys.stdout.write(transcript.to_json() if args.json else transcript.to_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())

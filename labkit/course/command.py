"""`labkit course build`: make the notebooks from the lessons, or (--check) say whether the
notebooks written already agree with them, without running anything."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from labkit.i18n import N_, _

NOTEBOOKS_HELP = N_("notebooks/ beside the lessons directory")


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Add `course build` to the labkit command's subcommands."""
    from labkit.course.translations import LANGS, SOURCE_LANG
    from labkit.course.versions import NOTEBOOKS_VERSION, VERSIONS

    cp = sub.add_parser("course", help=_("build the notebooks from their lessons "
                                         "(lessons/*.md)"),
                        description=_("The course's notebooks are built from one text source "
                                      "per lesson (lessons/NN-name.md, MyST Markdown)."))
    csub = cp.add_subparsers(dest="course_command", metavar="COMMAND")
    bp = csub.add_parser("build", help=_("run lessons on the sim and write their notebooks"),
                         description=_("Run each lesson's notebook on the sim engine and write "
                                       "it with its outputs; with --check, only compare the "
                                       "notebooks already written with their lessons (cell "
                                       "kinds, ids, sources, metadata)."))
    bp.add_argument("names", nargs="*", metavar="NAME",
                    help=_("only the lessons whose name starts so (00, 03-one); default: all"))
    bp.add_argument("--version", choices=VERSIONS, default=NOTEBOOKS_VERSION,
                    help=_("learner (exercises left to do), instructor (nbgrader's source "
                           "version: solutions marked) or solution (solutions worked in); "
                           "default: {version}, what notebooks/ holds").format(
                               version=NOTEBOOKS_VERSION))
    bp.add_argument("--out", type=Path, default=None, metavar="DIR",
                    help=_("where the notebooks go (default: {where})").format(
                        where=_(NOTEBOOKS_HELP)))
    bp.add_argument("--lessons", type=Path, default=None, metavar="DIR",
                    help=_("where the lessons are (default: lessons/ of this checkout)"))
    bp.add_argument("--no-solution-button", dest="solution_button", action="store_false",
                    help=_("help cells show the hints but no solution button, and carry no "
                           "solution text (for a graded nbgrader release)"))
    bp.add_argument("--check", action="store_true",
                    help=_("run nothing: exit 1, naming the notebook, if one in DIR does not "
                           "agree with its lesson (or, --lang ja, a translation is stale)"))
    bp.add_argument("--lang", choices=LANGS, default=SOURCE_LANG,
                    help=_("the course's language: en (lessons/ into notebooks/) or ja "
                           "(lessons/ja/ into notebooks/ja/); default: en"))
    hp = csub.add_parser("hashes", help=_("list an English lesson's cells by the hash a "
                                          "translation names them with"),
                         description=_("One line per cell of each English lesson: the hash a "
                                       "translated cell puts in its metadata ({example}), the "
                                       "cell's id, kind and first line.").format(
                                           example='{"en": HASH}'))
    hp.add_argument("names", nargs="*", metavar="NAME",
                    help=_("only the lessons whose name starts so; default: all"))
    hp.add_argument("--lessons", type=Path, default=None, metavar="DIR",
                    help=_("where the English lessons are (default: lessons/ of this "
                           "checkout)"))


def run(args: argparse.Namespace) -> int:
    """Carry out `labkit course ...`; LabkitError (bad input) is the caller's to print."""
    from labkit.course import sources, translations

    if args.course_command == "hashes":
        for path in sources.select(args.lessons or sources.default_dir(), args.names):
            print(f"{path.name}:")
            print("\n".join(f"  {line}" for line in translations.listing(sources.read(path))))
        return 0
    if args.course_command != "build":
        print(_("usage: ") + "labkit course build [--lang en|ja] [--version V] [--out DIR] "
              "[--no-solution-button] [--check] [NAME ...]\n"
              "       labkit course hashes [NAME ...]",
              file=sys.stderr)
        return 2
    lessons_dir = args.lessons or translations.lessons_dir(sources.default_dir(), args.lang)
    out = args.out or translations.notebooks_dir(lessons_dir, args.lang)
    lessons = [sources.read(p) for p in sources.select(lessons_dir, args.names)]
    if args.lang == translations.SOURCE_LANG:
        # the English lessons' check passes on them alone; what they leave behind is said
        for problem in translations.behind(lessons, sources.read):
            print("labkit: " + _("note: {problem} (labkit course build --check --lang ja "
                                 "fails on it)").format(problem=problem), file=sys.stderr)
        stale = []
    else:
        stale = translations.in_step(lessons, sources.read)
    if args.check:
        return _check(lessons, out, args.version, every=not args.names,
                      solution_button=args.solution_button, stale=stale)
    for problem in stale:  # the build goes on: the translator sees what to bring in step
        print(f"labkit: {problem}", file=sys.stderr)
    from labkit.course.build import build
    from labkit.course.compare import show

    for lesson in lessons:
        started = time.monotonic()
        print("labkit: " + _("running {name} ({version}) on the sim").format(
            name=lesson.name, version=args.version), file=sys.stderr, flush=True)
        path = build(lesson, args.version, out, args.solution_button)
        print(_("wrote {path} ({seconds} s)").format(
            path=show(path), seconds=f"{time.monotonic() - started:.0f}"))
    return 0


def _check(lessons: list, out: Path, version: str, every: bool,
           solution_button: bool = True, stale: list[str] | None = None) -> int:
    from labkit.course.compare import disagreement, show, strays

    problems = list(stale or [])
    problems += [p for p in (disagreement(lesson, out / f"{lesson.name}.ipynb", version,
                                         solution_button) for lesson in lessons) if p]
    problems += strays(out, lessons) if every and out.is_dir() else []
    for problem in problems:
        print(f"labkit: {problem}", file=sys.stderr)
    if problems:
        return 1
    print(_("{n} notebook(s) in {where} agree with their lessons ({version} version)").format(
        n=len(lessons), where=show(out), version=version))
    return 0

"""Assignments graded by nbgrader: a course directory made from the lessons' instructor version,
whose check cells are nbgrader's autograder tests.

    labkit grading init DIR [NAME ...] [--student ID ...] [--exchange DIR]

makes DIR/nbgrader_config.py, DIR/source/LESSON/LESSON.ipynb for each lesson with exercises, and
the gradebook with the students named; then nbgrader's own commands run in DIR as its
documentation says (`nbgrader generate_assignment`, `release_assignment`, students'
`fetch_assignment`/`submit`, `collect`, `autograde`, `generate_feedback`), and formgrader shows
the same directory to the teacher.

What labkit adds to nbgrader's convention (the lessons already carry its cell metadata):
- a check cell becomes a graded test: its `checks.check(...)` is wrapped in `graded(...)`, which
  shows the check's result as the learner sees it and raises `NotYet` (an AssertionError
  holding the problems, one a line) when the check is not ok, so nbgrader gives its points only
  to work that passes, and the problems are the feedback;
- the autograder runs every notebook on the sim engine (deterministic, unprivileged, the same lab
  for every student) and records nothing in anyone's progress record: the configuration sets
  LABKIT_ENGINE=sim and LABKIT_PROGRESS=off in the environment nbgrader's kernels inherit.
"""

from __future__ import annotations

import ast
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from labkit.errors import LabkitError
from labkit.i18n import N_, _, in_language
from labkit.views.check import NOT_YET

if TYPE_CHECKING:
    from nbformat import NotebookNode

CONFIG_NAME = "nbgrader_config.py"
STUDENTS_CONFIG = "nbgrader_config.students.py"  # /etc/jupyter/nbgrader_config.py for students
# nbgrader fetches into ~/COURSE_ID/ASSIGNMENT (path_includes_course): a name Python cannot
# import, or a student's ~/labkit would hide the labkit package from notebooks run in their home
COURSE_ID = "labkit-class"
CELL_TIMEOUT = 300  # seconds a cell may run under the autograder (05 runs four failovers)
IMPORT = "from labkit.classroom.grading import graded  # the autograder's test: raises unless ok"
STUDENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@-]*")  # a hub user name, as nbgrader files it


class NotYet(AssertionError):
    """A graded check that is not ok: its message is the check's problems, one a line."""


def graded(report: Any) -> None:
    """Show a check's result and fail the autograder's test unless it is ok.

    The result is displayed (not returned): an execute_result would be read by nbgrader as
    partial credit. A result that is not ok raises NotYet with its problems as the message,
    which nbgrader shows as the test's output in the feedback."""
    from IPython.display import display

    display(report)
    if not getattr(report, "ok", False):
        lang = getattr(report, "language", None)  # the check's lab's, as its problems are
        problems = list(getattr(report, "problems", ()) or
                        [in_language(lang, N_("the check found a problem"))])
        raise NotYet(in_language(lang, NOT_YET) + "\n" + "\n".join(f"- {p}" for p in problems))


def graded_source(source: str) -> str:
    """A check cell's source with its last expression (the `checks.check(...)`) in graded()."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        raise LabkitError(_("a check cell is not Python: it cannot be graded")) from None
    last = tree.body[-1] if tree.body else None
    if not isinstance(last, ast.Expr) or last.end_lineno is None or last.end_col_offset is None:
        raise LabkitError(_("a check cell does not end with its checks.check(...): it cannot "
                            "be graded"))
    lines = source.split("\n")
    first, end = last.lineno - 1, last.end_lineno - 1
    lines[end] = lines[end][: last.end_col_offset] + ")" + lines[end][last.end_col_offset:]
    lines[first] = (lines[first][: last.col_offset] + "graded(" + lines[first][last.col_offset:])
    return IMPORT + "\n" + "\n".join(lines)


def assignment(nb: NotebookNode) -> tuple[NotebookNode, int]:
    """The instructor version `nb` as nbgrader's source: check cells graded; how many."""
    count = 0
    for cell in nb.cells:
        grading = cell.get("metadata", {}).get("nbgrader", {})
        if cell.cell_type == "code" and grading.get("grade") and not grading.get("solution"):
            cell.source = graded_source(cell.source)
            count += 1
    return nb, count


def config_text(root: Path, exchange: Path, course_id: str) -> str:
    """The course directory's nbgrader_config.py."""
    return f'''"""nbgrader's configuration for labkit's course (made by `labkit grading init`)."""
import os

c = get_config()  # noqa: F821 (nbgrader's config loader defines it)

c.CourseDirectory.root = {str(root)!r}
c.CourseDirectory.course_id = {course_id!r}
c.Exchange.root = {str(exchange)!r}
c.Exchange.path_includes_course = True
# the learner's version: an exercise cell keeps its instruction and one empty line to type on
# (nbgrader's default stub raises NotImplementedError, which a %%lab cell would type into the
# lab's shell)
c.ClearSolutions.code_stub = {{"python": ""}}
c.Execute.timeout = {CELL_TIMEOUT}
# the autograder's kernels inherit this process's environment: every submission runs on the sim
# (deterministic and unprivileged) and no check is written to the grader's progress record
os.environ["LABKIT_ENGINE"] = "sim"
os.environ["LABKIT_PROGRESS"] = "off"
'''


def students_config_text(exchange: Path, course_id: str) -> str:
    """What a student's nbgrader reads to fetch and submit: /etc/jupyter/nbgrader_config.py on
    the hub's machine (every student's server reads it), a mounted file in a pod."""
    return f'''"""nbgrader's configuration for labkit's students (made by `labkit grading init`)."""
c = get_config()  # noqa: F821 (nbgrader's config loader defines it)

c.CourseDirectory.course_id = {course_id!r}
c.Exchange.root = {str(exchange)!r}
c.Exchange.path_includes_course = True
'''


def init(directory: Path, names: Sequence[str] = (), students: Sequence[str] = (),
         exchange: Path | None = None, course_id: str = COURSE_ID,
         lessons: Path | None = None) -> list[tuple[str, int]]:
    """Make (or bring up to date) a course directory; the assignments written and their tests.

    Each lesson with exercises (those whose name starts with one of `names`, all by default)
    becomes the assignment of its name, holding its one notebook. A source notebook already there
    is replaced (the lessons are the source); submissions and grades are left as they are.
    """
    from labkit.course import sources, versions

    for student in students:
        if not STUDENT_ID.fullmatch(student):
            raise LabkitError(_("{student} is not a student id (a user name: letters, digits, "
                                "'.', '_', '-', '@', starting with a letter or digit)").format(
                                    student=repr(student)))
    root = Path(directory).resolve()
    exchange = (Path(exchange) if exchange else root / "exchange").resolve()
    lessons_dir = lessons or sources.default_dir()
    chosen = [sources.read(p) for p in sources.select(lessons_dir, list(names))]
    made = []
    import nbformat

    for lesson in chosen:
        # the help cells keep their hints but not the solution: it is graded work
        nb, tests = assignment(versions.make(lesson, "instructor", solution_button=False))
        if not tests:
            if names:
                print("labkit: " + _("{name} has no exercises: it is no assignment").format(
                    name=lesson.name))
            continue
        out = root / "source" / lesson.name / f"{lesson.name}.ipynb"
        out.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, out)
        made.append((lesson.name, tests))
    if not made:
        raise LabkitError(_("none of those lessons has an exercise: no assignment was made"))
    (root / CONFIG_NAME).write_text(config_text(root, exchange, course_id), encoding="utf-8")
    (root / STUDENTS_CONFIG).write_text(students_config_text(exchange, course_id),
                                        encoding="utf-8")
    _exchange(exchange)
    _gradebook(root, course_id, [name for name, _ in made], students)
    return made


def _exchange(path: Path) -> None:
    """The exchange students submit into: every user may write it (sticky, as /tmp)."""
    if not path.is_dir():
        path.mkdir(parents=True)
        os.chmod(path, 0o1777)


def _gradebook(root: Path, course_id: str, assignments: Sequence[str],
               students: Sequence[str]) -> None:
    """The gradebook knows the class and the assignments before anything is released."""
    from nbgrader.api import Gradebook

    # nbgrader runs `alembic` (its database migrations) from PATH: the one beside this Python
    bindir = str(Path(sys.executable).parent)
    if bindir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}", course_id=course_id) as gb:
        for name in assignments:
            gb.update_or_create_assignment(name)
        for student in students:
            gb.update_or_create_student(student)


def add_parser(sub: Any) -> None:
    """`labkit grading init`."""
    gp = sub.add_parser("grading", help=_("nbgrader assignments from the lessons"),
                        description=_("Make nbgrader's course directory from the instructor "
                                      "version of the lessons; then run nbgrader's commands in "
                                      "it."))
    gsub = gp.add_subparsers(dest="grading_command", metavar="COMMAND")
    ip = gsub.add_parser("init", help=_("make or update a course directory"),
                         description=_("Write DIR/nbgrader_config.py, one assignment per lesson "
                                       "with exercises (DIR/source/NAME/NAME.ipynb: check cells "
                                       "are graded tests) and the gradebook."))
    ip.add_argument("directory", type=Path, metavar="DIR")
    ip.add_argument("names", nargs="*", metavar="NAME",
                    help=_("only the lessons whose name starts so (02, 03-one); default: all"))
    ip.add_argument("--student", action="append", default=[], metavar="ID",
                    help=_("a student's user name for the gradebook (repeat it)"))
    ip.add_argument("--exchange", type=Path, default=None, metavar="DIR",
                    help=_("nbgrader's exchange (default: DIR/exchange; on a hub, a directory "
                           "every student can reach, e.g. /srv/nbgrader/exchange)"))
    ip.add_argument("--course-id", default=COURSE_ID,
                    help=_("default: {value}").format(value=COURSE_ID))


def run(args: Any) -> int:
    """Carry out `labkit grading ...`; LabkitError is the caller's to print."""
    if args.grading_command != "init":
        print(_("usage: ") + "labkit grading init DIR [NAME ...] [--student ID ...] "
              "[--exchange DIR]",
              file=sys.stderr)
        return 2
    made = init(args.directory, args.names, args.student, args.exchange, args.course_id)
    root = args.directory.resolve()
    for name, tests in made:
        print(f"assignment {name}: {tests} graded check(s)")
    print(_("course directory {root}: now, in it, `nbgrader generate_assignment NAME`, "
            "`nbgrader release_assignment NAME`; after the students' `submit`, `nbgrader "
            "collect NAME` and `nbgrader autograde NAME` (formgrader shows the same "
            "directory)").format(root=root))
    return 0


# -- the class's course on the hub (labkit classroom ROSTER) -------------------------------------
FORMGRADER = "formgrader"  # the hub service the teachers grade in: /services/formgrader/
SERVERS_CONFIG = "jupyter-config"  # JUPYTER_CONFIG_PATH of every server the hub spawns
# a student's JupyterLab: the assignments list, fetch and submit, validate; not the teacher's
# formgrader or assignment maker (nbgrader's documentation disables those for students)
NOT_FOR_STUDENTS_SERVER = ["nbgrader.server_extensions.formgrader"]
NOT_FOR_STUDENTS_LAB = ["@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:create-assignment"]


def servers_config(dest: Path, exchange: Path, course_id: str = COURSE_ID) -> Path:
    """The Jupyter configuration directory the hub gives every server (JUPYTER_CONFIG_PATH):
    nbgrader's course id and exchange, so the assignments list shows the class's assignments
    and fetch/submit go through its exchange; formgrader and the assignment maker left out of
    a student's JupyterLab (the teachers grade in the formgrader service)."""
    import json

    (dest / "jupyter_server_config.d").mkdir(parents=True, exist_ok=True)
    (dest / "labconfig").mkdir(exist_ok=True)
    (dest / "nbgrader_config.py").write_text(students_config_text(exchange, course_id),
                                             encoding="utf-8")
    off = {"ServerApp": {"jpserver_extensions": dict.fromkeys(NOT_FOR_STUDENTS_SERVER, False)}}
    (dest / "jupyter_server_config.d" / "labkit-students.json").write_text(
        json.dumps(off, indent=1) + "\n", encoding="utf-8")
    (dest / "labconfig" / "page_config.json").write_text(
        json.dumps({"disabledExtensions": dict.fromkeys(NOT_FOR_STUDENTS_LAB, True)},
                   indent=1) + "\n", encoding="utf-8")
    for path in [dest, *dest.rglob("*")]:
        os.chmod(path, 0o755 if path.is_dir() else 0o644)
    return dest


def formgrader_service(course_root: str | Path, owner: str, python: str | Path,
                       url: str, teachers: Sequence[str]) -> tuple[dict, dict]:
    """The hub service serving nbgrader's formgrader on the class's course directory, run as
    `owner` (the teacher who owns the course), and the role letting `teachers` open it.

    It is a Jupyter server (jupyterhub-singleuser, as nbgrader's documentation sets it up on a
    hub) started in the course directory, whose nbgrader_config.py names the course root."""
    bindir = Path(python).parent
    service = {
        "name": FORMGRADER,
        "url": url,
        "command": [str(bindir / "jupyterhub-singleuser")],
        "user": owner,
        "cwd": str(course_root),
        "environment": {"JUPYTERHUB_DEFAULT_URL": "/formgrader",
                        "PATH": f"{bindir}:/usr/local/bin:/usr/bin:/bin",
                        "LANG": "C.UTF-8"},
        "oauth_no_confirm": True,
    }
    role = {"name": "formgraders", "users": list(teachers),
            "scopes": [f"access:services!service={FORMGRADER}"]}
    return service, role

"""Each learner's record of their checks (exercise, ok, when, how many problems) in a small JSON
file in their home, and the course's exercises that record is read against.

    progress.record(report)     # after a check: never raises, nothing when LABKIT_PROGRESS=off
    progress.note("hint", "04-active", "1 of 3")   # help used: a hint, the solution, a prediction
    progress.load()             # what the file holds
    progress.report()           # the course's progress, as a notebook or `labkit progress` shows it

The file is `$LABKIT_PROGRESS` (`off`: no record at all, as the test suite runs), else
`$XDG_DATA_HOME/labkit/progress.json`, else `~/.local/share/labkit/progress.json`. Writers take
a lock on the file's directory and replace the file whole (a temp file beside it, then
os.replace), so two notebooks checking at once lose nothing and a reader never sees half a file.
A file labkit cannot read (torn by a crash, written by something else) is never overwritten:
recording moves it aside and starts a new one, and says so in one sentence.

The help a learner used (a hint revealed, the solution shown, a prediction and whether it was
right) goes in the same file's optional "help" list; a file without one, as version 1 was first
written, reads as no help used, and a reader that knows only "attempts" reads the file as before.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from labkit import i18n
from labkit.errors import LabkitError
from labkit.i18n import _
from labkit.views import progress as view

ENV = "LABKIT_PROGRESS"
OFF = "off"
FORMAT, VERSION = "labkit-progress", 1  # what the file says it is
FILE_NAME = "progress.json"


@dataclass(frozen=True)
class Attempt:
    """One check run on one exercise."""

    exercise: str
    ok: bool
    time: str  # when, ISO 8601 in UTC to the second: 2026-12-03T11:50:02Z
    problems: int  # how many problems the check found (0 when ok)
    said: tuple[str, ...] = ()  # the check's sentences (what the teacher's view shows)


HELP_KINDS = ("hint", "solution", "predict")


@dataclass(frozen=True)
class HelpUsed:
    """One use of the help: a hint revealed, the solution shown, a prediction made."""

    kind: str  # one of HELP_KINDS
    name: str  # the exercise (hint, solution) or the predict question
    time: str
    detail: str = ""  # "2 of 3" for a hint, the choice for a prediction
    ok: bool | None = None  # a prediction: whether it was right


@dataclass(frozen=True)
class Progress:
    """What the record holds: its attempts, oldest first, and why it could not be read."""

    path: Path | None  # None: recording is off
    attempts: tuple[Attempt, ...] = ()
    notice: str | None = None  # one sentence when the file is not a record labkit can read
    help: tuple[HelpUsed, ...] = ()


def location(env: Mapping[str, str] = os.environ) -> Path | None:
    """Where the learner's record lives, or None when LABKIT_PROGRESS=off."""
    given = env.get(ENV, "")
    if given.strip().lower() == OFF:
        return None
    if given:
        return Path(given).expanduser()
    data = env.get("XDG_DATA_HOME", "")
    # the XDG spec: a relative XDG_DATA_HOME is invalid and ignored
    base = Path(data) if data and os.path.isabs(data) else Path.home() / ".local" / "share"
    return base / "labkit" / FILE_NAME


def load(path: Path | None = None) -> Progress:
    """The record at `path` (default: location()); a missing file is an empty record, an
    unreadable one an empty record with a notice. Never raises for the file's content."""
    path = location() if path is None else Path(path)
    if path is None:
        return Progress(None)
    attempts, used, problem = _read_all(path)
    if problem is None:
        return Progress(path, attempts, help=used)
    return Progress(path, (), _("{path} is not a progress record labkit can read ({problem}); "
                                "it is left as it is, and the next check's result moves it "
                                "aside").format(path=path, problem=problem))


def record(result: Any, path: Path | None = None) -> Attempt | None:
    """Add a check's result (anything with `exercise`, `ok` and `problems`, or the MIME
    bundle's dict) to the learner's record; the attempt written, or None.

    Safe to call after every check: it never raises (a failure is one sentence on stderr), and
    does nothing when recording is off or the result names no exercise.
    """
    try:
        attempt = attempt_of(result)
        where = location() if path is None else Path(path)
        if attempt is None or where is None:
            return None
        _append(where, attempt)
        return attempt
    except Exception as exc:  # the learner's check result matters more than its record
        print("labkit: " + _("the check's result was not recorded: {reason}").format(
            reason=_reason(exc)), file=sys.stderr)
        return None


def note(kind: str, name: str, detail: str = "", ok: bool | None = None,
         path: Path | None = None) -> HelpUsed | None:
    """Add one use of the help to the learner's record; what was written, or None. Never
    raises, as record() (a failure is one sentence on stderr)."""
    try:
        if kind not in HELP_KINDS:
            raise ValueError(f"no help of the kind {kind!r} (kinds: {', '.join(HELP_KINDS)})")
        where = location() if path is None else Path(path)
        if where is None or not name:
            return None
        used = HelpUsed(kind, name, _stamp(time.time()), detail, ok)
        _append(where, used)
        return used
    except Exception as exc:  # the help matters more than its record
        print("labkit: " + _("the use of the help was not recorded: {reason}").format(
            reason=_reason(exc)), file=sys.stderr)
        return None


def attempt_of(result: Any, now: float | None = None) -> Attempt | None:
    """The attempt a check's result makes, or None when it names no exercise."""
    get = result.get if isinstance(result, Mapping) else (lambda k: getattr(result, k, None))
    exercise = get("exercise")
    if not isinstance(exercise, str) or not exercise:
        return None
    problems = get("problems")
    count = problems if isinstance(problems, int) else len(problems or ())
    said = () if isinstance(problems, int) else tuple(str(p) for p in problems or ())
    ok = get("ok")
    return Attempt(exercise, bool(ok) if ok is not None else count == 0,
                   _stamp(time.time() if now is None else now), count, said)


# -- the course ---------------------------------------------------------------------------------
def course_dir() -> Path:
    """notebooks/ of the checkout labkit runs from: the course's learner version."""
    from labkit.course.sources import default_dir

    return default_dir().parent / "notebooks"


def course(notebooks: Path | None = None) -> list[view.Notebook]:
    """The course's notebooks in order, each with its exercises, as the lessons' `:exercise:`
    markup put them in the built notebooks (nbgrader's solution cells and their grade ids)."""
    directory = course_dir() if notebooks is None else Path(notebooks)
    if not directory.is_dir():
        raise LabkitError(_("{directory}: no such directory of course notebooks").format(
            directory=directory))
    out = []
    for path in sorted(directory.glob("[0-9][0-9]-*.ipynb")):
        try:
            cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
        except (OSError, ValueError, AttributeError):
            continue  # not a notebook: not part of what the course asks
        exercises = tuple(
            c["metadata"]["nbgrader"]["grade_id"] for c in cells
            if isinstance(c.get("metadata", {}).get("nbgrader"), dict)
            and c["metadata"]["nbgrader"].get("solution") and c["metadata"]["nbgrader"].get(
                "grade_id"))
        out.append(view.Notebook(path.stem, _title(cells) or path.stem, exercises))
    return out


def _title(cells: list[dict[str, Any]]) -> str | None:
    """The notebook's first `# ` heading."""
    for cell in cells:
        if cell.get("cell_type") != "markdown":
            continue
        source = cell.get("source", "")
        for line in (source if isinstance(source, str) else "".join(source)).splitlines():
            if line.startswith("# "):
                return line[2:].strip()
    return None


class Report:
    """The course's progress as the notebook (HTML) and `labkit progress` (text) show it."""

    def __init__(self, notebooks: Sequence[view.Notebook], progress: Progress,
                 language: str | None = None) -> None:
        self.notebooks = list(notebooks)
        self.progress = progress
        self.language = language or i18n.ambient()  # a Japanese lesson's lab: Japanese

    def rows(self) -> list[view.Row]:
        return view.rows(self.notebooks, self.progress.attempts, self.progress.help)

    def text(self) -> str:
        with i18n.speaking(self.language):
            return view.text(self.notebooks, self.progress.attempts, self._where(),
                             self.progress.notice, self.progress.help)

    def __str__(self) -> str:
        return self.text()

    def __repr__(self) -> str:
        return self.text()

    def _repr_html_(self) -> str:
        with i18n.speaking(self.language):
            return view.html_of(self.notebooks, self.progress.attempts, self._where(),
                                self.progress.notice, self.progress.help)

    def _where(self) -> str:
        if self.progress.path is None:
            return _("{env}=off: nothing is recorded").format(env=ENV)
        path, home = self.progress.path, Path.home()
        shown = f"~/{path.relative_to(home)}" if path.is_relative_to(home) else str(path)
        return _("recorded in {path}").format(path=shown)


def report(notebooks: Path | None = None, path: Path | None = None) -> Report:
    """The course's progress from the learner's record."""
    return Report(course(notebooks), load(path))


# -- the file -----------------------------------------------------------------------------------
def _read(path: Path) -> tuple[tuple[Attempt, ...], str | None]:
    """The attempts in the file, or why it is not a record (a missing file is an empty one)."""
    attempts, _used, problem = _read_all(path)
    return attempts, problem


def _read_all(path: Path) -> tuple[tuple[Attempt, ...], tuple[HelpUsed, ...], str | None]:
    """The attempts and the help used in the file, or why it is not a record."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return (), (), None
    except OSError as exc:  # a directory, a file the learner may not read
        return (), (), _("cannot read it: {reason}").format(reason=exc.strerror)
    attempts, problem = _parse(raw)
    if problem is not None:
        return (), (), problem
    return attempts, _help_of(json.loads(raw.decode("utf-8"))), None


def _help_of(data: dict[str, Any]) -> tuple[HelpUsed, ...]:
    """The record's "help" list; an entry labkit cannot read is left out (the help is a
    courtesy: the attempts are what the record is for)."""
    items = data.get("help")
    out = []
    for item in items if isinstance(items, list) else ():
        if isinstance(item, dict) and item.get("kind") in HELP_KINDS \
                and isinstance(item.get("name"), str) and isinstance(item.get("time"), str) \
                and isinstance(item.get("detail", ""), str) \
                and item.get("ok") in (None, True, False):
            out.append(HelpUsed(item["kind"], item["name"], item["time"],
                                item.get("detail", ""), item.get("ok")))
    return tuple(out)


def _parse(raw: bytes) -> tuple[tuple[Attempt, ...], str | None]:
    """The attempts in a file's bytes, or why they are not a record."""
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        return (), _("not JSON: {error}").format(error=exc) if raw.strip() else _("it is empty")
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        return (), _('not labkit\'s: no "format": "{format}"').format(format=FORMAT)
    if data.get("version") != VERSION:
        return (), _("version {found}, this labkit reads version {version}").format(
            found=repr(data.get("version")), version=VERSION)
    items = data.get("attempts")
    if not isinstance(items, list):
        return (), _('no list of "attempts"')
    attempts = []
    for i, item in enumerate(items):
        if not (isinstance(item, dict) and isinstance(item.get("exercise"), str)
                and isinstance(item.get("ok"), bool) and isinstance(item.get("time"), str)
                and type(item.get("problems")) is int):
            return (), _("attempt {n} is not an exercise, ok, time and problems").format(n=i + 1)
        said = item.get("said", [])  # absent in records written before it was kept
        said = tuple(said) if isinstance(said, list) and all(
            isinstance(x, str) for x in said) else ()
        attempts.append(Attempt(item["exercise"], item["ok"], item["time"], item["problems"],
                                said))
    return tuple(attempts), None


def _append(path: Path, entry: Attempt | HelpUsed) -> None:
    """Read, add, replace: under the directory's lock, so concurrent writers lose nothing."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with _locked(path.parent):
        attempts, used, problem = _read_all(path)
        if problem is not None:
            aside = _aside(path)
            os.rename(path, aside)
            print(f"labkit: {path} was not a progress record labkit can read ({problem}); "
                  f"it is kept as {aside} and a new record begins", file=sys.stderr)
        if isinstance(entry, HelpUsed):
            _write(path, attempts, (*used, entry))
        else:
            _write(path, (*attempts, entry), used)


@contextlib.contextmanager
def _locked(directory: Path) -> Iterator[None]:
    """An exclusive lock on the directory itself (flock; no lock file left behind)."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _write(path: Path, attempts: Sequence[Attempt], used: Sequence[HelpUsed] = ()) -> None:
    """The whole record to a temp file beside `path`, flushed to disk, then renamed over it."""
    data: dict[str, Any] = {"format": FORMAT, "version": VERSION,
                            "attempts": [_attempt_json(a) for a in attempts]}
    if used:  # no "help" key until some help is used: the file stays as version 1 wrote it
        data["help"] = [asdict(u) for u in used]
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(data, out, indent=1)
            out.write("\n")
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


def _attempt_json(attempt: Attempt) -> dict[str, Any]:
    """An attempt as the file keeps it: "said" only when the check said something."""
    data = asdict(attempt)
    if attempt.said:
        data["said"] = list(attempt.said)
    else:
        del data["said"]
    return data


def _aside(path: Path) -> Path:
    """A name for a bad file that no other file has: progress.json.damaged-20261203T115002Z."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    candidate = path.with_name(f"{path.name}.damaged-{stamp}")
    n = 1
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{path.name}.damaged-{stamp}-{n}")
    return candidate


def _stamp(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def _reason(exc: Exception) -> str:
    if isinstance(exc, OSError):
        return f"{exc.filename or ''}: {exc.strerror or exc}".lstrip(": ")
    return str(exc) or type(exc).__name__

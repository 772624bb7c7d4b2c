"""A learner's working copy of the course's notebooks: made once, kept, never written over.

JupyterLab saves what it runs into the notebook it runs, so `./lab` serves a copy outside the
tracked tree (running a notebook never dirties the checkout, and `git pull` never conflicts).
The copy remembers, per notebook, a digest of the course version it came from; that is how a
later run tells "the learner changed it" from "the course changed it":

- a notebook new in the course is added;
- a notebook the course changed is updated if the learner's copy is still the version it came
  from (nothing of theirs to lose), otherwise announced and kept as it is;
- `reset` gives one notebook (or all) its course version back, keeping the learner's in
  `backups/` first.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from labkit.errors import LabkitError
from labkit.i18n import _, ngettext

ENV = "LABKIT_NOTEBOOKS"  # where the copy lives, instead of my-notebooks/ beside the course
DEFAULT_NAME = "my-notebooks"
MANIFEST = ".labkit-course.json"  # {"from": {notebook: digest of the course version copied}}
BACKUPS = "backups"


class WorkcopyError(LabkitError):
    """The course or the copy cannot be used as asked; the message says which and why."""


@dataclass
class Sync:
    """What `sync` did to the copy, for `./lab` to say."""

    copy: Path
    made: bool = False  # the copy did not exist before
    added: list[str] = field(default_factory=list)  # new in the course (or missing here)
    updated: list[str] = field(default_factory=list)  # the course changed, the learner had not
    kept: list[str] = field(default_factory=list)  # both changed: the learner's stays

    def report(self) -> list[str]:
        """One sentence per kind of change, none when nothing changed."""
        lines = []
        if self.made:
            lines.append(ngettext("made your copy of the course's {n} notebook in {copy}",
                                  "made your copy of the course's {n} notebooks in {copy}",
                                  len(self.added)).format(n=len(self.added), copy=self.copy))
        elif self.added:
            lines.append(_("added from the course: {names}").format(names=", ".join(self.added)))
        if self.updated:
            lines.append(_("updated to the course's new version (you had not changed them): "
                           "{names}").format(names=", ".join(self.updated)))
        if self.kept:
            first = self.kept[0].split("-", 1)[0]
            lines.append(_("the course changed {names} since your copy was made; yours is kept "
                           "as it is (./lab reset {first} takes the course's version, keeping "
                           "yours in {backups}/)").format(names=", ".join(self.kept),
                                                         first=first, backups=BACKUPS))
        return lines


@dataclass(frozen=True)
class Reset:
    """What `reset` did to one notebook."""

    name: str
    before: str  # "changed" (kept in `backup`), "same" (already the course's) or "missing"
    backup: Path | None = None

    def report(self) -> str:
        if self.before == "changed":
            return _("{name}: the course's version again; yours is in {backup}").format(
                name=self.name, backup=self.backup)
        if self.before == "same":
            return _("{name}: already the course's version").format(name=self.name)
        return _("{name}: the course's version (it was missing)").format(name=self.name)


def location(course: Path, env: Mapping[str, str] = os.environ) -> Path:
    """Where the copy lives: $LABKIT_NOTEBOOKS, else my-notebooks/ beside the course's
    notebooks/ (in the checkout, ignored by git)."""
    chosen = env.get(ENV) or str(course.resolve().parent / DEFAULT_NAME)
    return Path(chosen).expanduser().resolve()


def course_notebooks(course: Path) -> dict[str, bytes]:
    """The course's notebooks by file name."""
    if not course.is_dir():
        raise WorkcopyError(_("{course}: no such directory of course notebooks").format(
            course=course))
    found = {p.name: p.read_bytes() for p in sorted(course.glob("*.ipynb")) if p.is_file()}
    if not found:
        raise WorkcopyError(_("{course}: holds no notebooks (*.ipynb)").format(course=course))
    return found


def sync(course: Path, copy: Path) -> Sync:
    """Make the copy on the first run; afterwards bring in what the course added or changed
    without writing over anything the learner changed."""
    notebooks = course_notebooks(course)
    result = Sync(copy, made=not copy.exists())
    _make_dir(copy)
    origin = _read_manifest(copy)
    for name, text in notebooks.items():
        theirs, new = copy / name, _digest(text)
        if not theirs.exists():
            _write(theirs, text)
            origin[name] = new
            result.added.append(name)
            continue
        mine = _digest(theirs.read_bytes())
        if mine == new:
            origin[name] = new  # the same as the course's, however it got there
        elif origin.get(name) == new:
            pass  # the learner changed it; the course did not
        elif origin.get(name) == mine:
            _write(theirs, text)  # the course changed it; the learner had not
            origin[name] = new
            result.updated.append(name)
        else:
            result.kept.append(name)  # both changed (or its origin is unknown): theirs stays
    _write_manifest(copy, origin)
    return result


def resolve(course: Path, names: Sequence[str]) -> list[str]:
    """Course notebook file names for what a learner types: `03`, `03-one-mac-for-all` or
    `03-one-mac-for-all.ipynb` (a path is taken by its last part)."""
    known = sorted(course_notebooks(course))
    chosen = []
    for typed in names:
        stem = Path(typed).name.removesuffix(".ipynb")
        hits = [n for n in known if n.removesuffix(".ipynb") == stem
                or n.split("-", 1)[0] == stem]
        if len(hits) != 1:
            said = (_("no course notebook {typed} (there are: {known})") if not hits else
                    _("more than one course notebook {typed} (there are: {known})"))
            raise WorkcopyError(said.format(typed=repr(typed), known=", ".join(
                n.split("-", 1)[0] for n in known)))
        if hits[0] not in chosen:
            chosen.append(hits[0])
    return chosen


def reset(course: Path, copy: Path, names: Sequence[str] | None) -> list[Reset]:
    """Give the named notebooks (None: every course notebook) their course version back;
    a learner's version that differs is copied to backups/ first, so nothing is lost."""
    notebooks = course_notebooks(course)
    chosen = sorted(notebooks) if names is None else resolve(course, names)
    _make_dir(copy)
    origin = _read_manifest(copy)
    done = []
    for name in chosen:
        text, theirs = notebooks[name], copy / name
        if not theirs.exists():
            _write(theirs, text)
            done.append(Reset(name, "missing"))
        elif theirs.read_bytes() == text:
            done.append(Reset(name, "same"))
        else:
            backup = _backup(copy, theirs)  # first: a crash after it loses nothing
            _write(theirs, text)
            done.append(Reset(name, "changed", backup))
        origin[name] = _digest(text)
    _write_manifest(copy, origin)
    return done


def _backup(copy: Path, theirs: Path) -> Path:
    """Copy the learner's notebook to backups/NAME-YYYYmmdd-HHMMSS.ipynb (never over one)."""
    folder = copy / BACKUPS
    _make_dir(folder)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for n in range(1, 1000):
        target = folder / f"{theirs.stem}-{stamp}{'' if n == 1 else f'-{n}'}.ipynb"
        try:
            with target.open("xb") as out:  # exclusive: an earlier backup is never replaced
                out.write(theirs.read_bytes())
            return target
        except FileExistsError:
            continue
    raise WorkcopyError(_("{folder}: too many backups of {name} in one second").format(
        folder=folder, name=theirs.name))


def _make_dir(path: Path) -> None:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise WorkcopyError(_("{path}: exists and is not a directory ({env} names where "
                              "your notebooks go)").format(path=path, env=ENV)) from None
    except OSError as exc:
        raise WorkcopyError(_("{path}: cannot make the directory: {error}").format(
            path=path, error=exc.strerror)) from None


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _read_manifest(copy: Path) -> dict[str, str]:
    """The course version each notebook came from; an unreadable record counts as none (the
    notebooks that differ from the course are then kept, never written over)."""
    try:
        found = json.loads((copy / MANIFEST).read_text(encoding="utf-8")).get("from", {})
    except (OSError, ValueError, AttributeError):
        return {}
    if not isinstance(found, dict):
        return {}
    return {str(k): str(v) for k, v in found.items()}


def _write_manifest(copy: Path, origin: dict[str, str]) -> None:
    text = json.dumps({"from": dict(sorted(origin.items()))}, indent=1) + "\n"
    _write(copy / MANIFEST, text.encode())


def _write(path: Path, data: bytes) -> None:
    """Write whole or not at all: a temporary file beside it (made with the user's umask),
    then a rename over the old one."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise

"""The students' and teachers' Unix accounts: made from the roster, each with a private home
and a first password (for the hub's PAM login), and removed again only if labkit made them.

Which accounts labkit made is written down (`STATE` in the class directory, root's alone)
before each is made, so `remove` never deletes an account someone else created, a roster name
that was already a user on this machine is left as it is (its owner's password logs in), and a
second set-up makes no account twice. The first passwords are kept beside it (mode 0600) so a
teacher who runs the set-up again sees them again.
"""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import secrets
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from labkit.errors import LabkitError
from labkit.i18n import _

STATE = "accounts.json"  # {"created": [name, ...], "passwords": {name: first password}}
COMMENT = "labkit class"
_LETTERS = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read aloud in a classroom


class AccountError(LabkitError):
    """An account could not be made or removed; the message says which and why."""


@dataclass(frozen=True)
class Account:
    name: str
    uid: int
    gid: int
    home: Path
    password: str | None  # the first password, if labkit made the account (else None)


def _state_path(class_dir: Path) -> Path:
    return class_dir / STATE


def _load(class_dir: Path) -> dict[str, object]:
    try:
        data = json.loads(_state_path(class_dir).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {"created": [], "passwords": {}}
    except (OSError, ValueError) as exc:
        raise AccountError(f"cannot read {_state_path(class_dir)}: {exc}") from None
    return {"created": list(data.get("created", [])),
            "passwords": dict(data.get("passwords", {}))}


def _save(class_dir: Path, data: dict[str, object]) -> None:
    path = _state_path(class_dir)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=1)
    os.replace(tmp, path)


def created(class_dir: Path) -> list[str]:
    """The accounts labkit made for this class (and has not removed)."""
    created = _load(class_dir)["created"]
    return [str(name) for name in created] if isinstance(created, list) else []


def _first_password() -> str:
    return "-".join("".join(secrets.choice(_LETTERS) for _ in range(4)) for _ in range(3))


def _run(argv: list[str], stdin: str | None = None) -> None:
    done = subprocess.run(argv, input=stdin, capture_output=True, text=True, check=False)
    if done.returncode:
        raise AccountError(f"{argv[0]} failed for {argv[-1] if stdin is None else 'chpasswd'}:"
                           f" {(done.stderr or done.stdout).strip()}")


def ensure(names: Iterable[str], class_dir: Path) -> list[Account]:
    """Every account in `names`, made if missing (private home, bash, a first password); an
    account that exists and labkit did not make is used as it is."""
    if os.geteuid() != 0:
        raise AccountError(_("making the class's accounts needs root (sudo ./lab classroom "
                             "...)"))
    class_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    data = _load(class_dir)
    made: list[str] = data["created"]  # type: ignore[assignment]
    passwords: dict[str, str] = data["passwords"]  # type: ignore[assignment]
    out = []
    for name in names:
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            password = _first_password()
            made.append(name)  # written down before it exists: remove() finds a half-made one
            passwords[name] = password
            _save(class_dir, data)
            _run(["useradd", "--create-home", "--shell", "/bin/bash", "--comment", COMMENT,
                  "--key", "HOME_MODE=0700", name])
            _run(["chpasswd"], stdin=f"{name}:{password}\n")
            entry = pwd.getpwnam(name)
            os.chmod(entry.pw_dir, 0o700)  # a student's work is theirs alone
        out.append(Account(name, entry.pw_uid, entry.pw_gid, Path(entry.pw_dir),
                           passwords.get(name) if name in made else None))
    return out


def remove(class_dir: Path, names: Iterable[str] | None = None) -> list[str]:
    """Remove the accounts labkit made (all of them, or those of `names`), homes included;
    an account labkit did not make is never touched. What was removed."""
    data = _load(class_dir)
    made: list[str] = data["created"]  # type: ignore[assignment]
    passwords: dict[str, str] = data["passwords"]  # type: ignore[assignment]
    wanted = set(made if names is None else names) & set(made)
    removed = []
    for name in [n for n in made if n in wanted]:
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            entry = None
        if entry is not None:
            if entry.pw_gecos != COMMENT:  # not ours after all (re-made by someone else)
                raise AccountError(_("{name} is no longer the account labkit made; left "
                                     "alone").format(name=name))
            _run(["userdel", "--remove", name])
            removed.append(name)
        made.remove(name)
        passwords.pop(name, None)
        _save(class_dir, data)
    with contextlib.suppress(FileNotFoundError):
        if not made:
            _state_path(class_dir).unlink()
    return removed

"""The lab's own files (/etc/...): a real directory on disk, reachable at the paths a host uses.

Each host sees its own tree under `<lab dir>/<host>/`, so the files are visible and editable
from JupyterLab too. /proc and /sys are not here: the engine serves them. Writes are atomic
(write a temporary file, then rename), so no reader ever sees a torn file. Text is bytes as the
kernel keeps it: bytes that are not UTF-8 round-trip as surrogate escapes (Python's
`surrogateescape`), and errors are the OSErrors the host's own paths would give (a name over
NAME_MAX bytes is ENAMETOOLONG whatever the lab directory's own path adds).
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from pathlib import Path, PurePosixPath

PSEUDO_ROOTS = ("/proc", "/sys", "/dev")
NAME_MAX = 255  # bytes of one path component (Linux)
PATH_MAX = 4096  # bytes of a whole path, its NUL included
ENCODING = {"encoding": "utf-8", "errors": "surrogateescape"}
DEFAULT_FILES = {
    "etc/hostname": "{host}\n",
    "etc/hosts": ("127.0.0.1   localhost localhost.localdomain localhost4 "
                  "localhost4.localdomain4\n"
                  "::1         localhost localhost.localdomain localhost6 "
                  "localhost6.localdomain6\n"),
}


def is_pseudo(path: str) -> bool:
    """True for paths the kernel serves (/proc, /sys) or devices."""
    return any(path == root or path.startswith(root + "/") for root in PSEUDO_ROOTS)


def check_name(path: str) -> None:
    """Raise the OSError open(2) gives for a path the kernel refuses before looking at it:
    ENOENT for an empty one, ENAMETOOLONG for a component over NAME_MAX or a path over
    PATH_MAX bytes."""
    if not path:
        raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), path)
    raw = path.encode("utf-8", "surrogateescape")
    if len(raw) >= PATH_MAX or any(len(part) > NAME_MAX for part in raw.split(b"/")):
        raise OSError(errno.ENAMETOOLONG, os.strerror(errno.ENAMETOOLONG), path)


def normalize(path: str, cwd: str = "/root") -> str:
    """An absolute, normalized POSIX path (no '..' escaping the root)."""
    p = PurePosixPath(path if path.startswith("/") else f"{cwd}/{path}")
    parts: list[str] = []
    for part in p.parts[1:]:
        if part == "..":
            if parts:
                parts.pop()
        elif part not in (".", ""):
            parts.append(part)
    return "/" + "/".join(parts)


class LabFiles:
    """The regular files of every host of one lab."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self._seeded: set[str] = set()  # hosts get their tree when first used

    def seed_host(self, host: str) -> None:
        """Give `host` the files a fresh machine has (kept if they exist already)."""
        if host in self._seeded:
            return
        self._seeded.add(host)
        for rel, text in DEFAULT_FILES.items():
            target = self.root / host / rel
            if not target.exists():
                self.write(host, "/" + rel, text.format(host=host))
        (self.root / host / "root").mkdir(parents=True, exist_ok=True)
        (self.root / host / "tmp").mkdir(parents=True, exist_ok=True)

    def local(self, host: str, path: str) -> Path:
        """Where `path` of `host` lives on disk (FileNotFoundError for a path with NUL,
        ENAMETOOLONG as check_name says)."""
        if "\0" in path:
            raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), path)
        check_name(path)
        self.seed_host(host)
        return self.root / host / normalize(path).lstrip("/")

    def stat(self, host: str, path: str) -> os.stat_result:
        """stat(2) of a host's path: its OSError (ENOENT, ENOTDIR, ENAMETOOLONG) if none."""
        target = self.local(host, path)
        try:
            return os.stat(target)
        except OSError as exc:
            raise type(exc)(exc.errno, exc.strerror, path) from None

    def read(self, host: str, path: str) -> str:
        """The text of a file; OSError subclasses as open(2) would give."""
        if stat.S_ISDIR(self.stat(host, path).st_mode):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), path)
        try:
            return self.local(host, path).read_text(**ENCODING)
        except OSError as exc:
            raise type(exc)(exc.errno, exc.strerror, path) from None

    def exists(self, host: str, path: str) -> bool:
        try:
            self.stat(host, path)
        except OSError:
            return False
        return True

    def is_dir(self, host: str, path: str) -> bool:
        try:
            return stat.S_ISDIR(self.stat(host, path).st_mode)
        except OSError:
            return False

    def listdir(self, host: str, path: str) -> list[str]:
        if not stat.S_ISDIR(self.stat(host, path).st_mode):
            raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), path)
        return sorted(os.listdir(self.local(host, path)))

    def check_writable(self, host: str, path: str) -> None:
        """Raise the OSError open(path, O_WRONLY|O_CREAT) would give (EISDIR, ENOENT, ENOTDIR,
        ENAMETOOLONG); return when it would succeed. Nothing is created."""
        normal = normalize(path)
        if normal == "/":
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), path)
        try:
            mode = self.stat(host, normal).st_mode
        except FileNotFoundError:
            parent = normal.rsplit("/", 1)[0] or "/"
            try:
                parent_mode = self.stat(host, parent).st_mode
            except OSError as exc:
                raise type(exc)(exc.errno, exc.strerror, path) from None
            if not stat.S_ISDIR(parent_mode):
                raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR),
                                         path) from None
            return
        except OSError as exc:
            raise type(exc)(exc.errno, exc.strerror, path) from None
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), path)

    def mode(self, host: str, path: str) -> int:
        """The file's permission bits (OSError as stat(2) gives)."""
        return self.local(host, path).stat().st_mode & 0o7777

    def write(self, host: str, path: str, text: str, append: bool = False,
              mode: int | None = None) -> None:
        """Replace (or extend) a file atomically; its directory must exist. A file keeps its
        permissions; a new one gets `mode`, else 0644 (a shell's umask 022)."""
        target = self.local(host, path)
        if target.is_dir():
            raise IsADirectoryError(path)
        if not target.parent.is_dir():
            if target.parent == (self.root / host) or str(target.parent).startswith(
                    str(self.root / host / "etc")):
                target.parent.mkdir(parents=True, exist_ok=True)
            else:
                raise FileNotFoundError(path)
        if append and target.exists():
            text = target.read_text(**ENCODING) + text
        if mode is None:
            mode = target.stat().st_mode & 0o7777 if target.exists() else 0o644
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
        try:
            with os.fdopen(fd, "w", encoding="utf-8", errors="surrogateescape") as fh:
                fh.write(text)
            os.chmod(tmp, mode)
            os.replace(tmp, target)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise

    def remove(self, host: str, path: str) -> None:
        self.local(host, path).unlink()

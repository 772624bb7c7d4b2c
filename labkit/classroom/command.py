"""`labkit classroom ROSTER` sets a class up on this machine and starts its hub; `--stop` stops
it and removes every student's labs.

Set-up, all of it repeatable: the roster read (roster.py); a Python with labkit and JupyterHub
that every account can run (this one, if every account can, else a venv of the class's own in
/opt/labkit/class-venv, installed from this checkout as constraints.txt pins it); the proxy
(`npm ci` in classroom/ as its lock file pins it); the accounts (accounts.py); the course's
notebooks copied where students can read them; then the hub, in the background, its log in
the class directory. It prints the URL and each new account's first password.

The assignments: nbgrader's course directory made from the lessons' instructor version
(grading.init, run as the roster's first teacher, who owns it: DIR/nbgrader/course, theirs
alone), its exchange (DIR/nbgrader/exchange, every account's, sticky), and the configuration
every server the hub spawns reads (JUPYTER_CONFIG_PATH: the course id and the exchange, so a
student's JupyterLab lists the assignments and fetches and submits them). The teachers grade in
the hub's formgrader service (/services/formgrader/), a Jupyter server in the course directory.

Idle servers are stopped by the hub's culler (the roster's `idle-timeout:`, an hour unless it
says), and a stopped server's labs removed by the hub's post-stop hook.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from labkit.classroom import accounts, grading, hub, roster
from labkit.classroom.cleanup import remove_labs
from labkit.engines import records
from labkit.errors import LabkitError
from labkit.i18n import _

REPO = Path(__file__).resolve().parents[2]
DEFAULT_DIR = Path(os.environ.get("LABKIT_CLASS_DIR", "/srv/labkit-class"))
CLASS_JSON = "class.json"
DEFAULT_VENV = Path(os.environ.get("LABKIT_CLASS_VENV", "/opt/labkit/class-venv"))
PROBE_USER = "nobody"  # an account with no rights at all: what it can run, every student can


class ClassroomError(LabkitError):
    """The class cannot be set up, started or stopped; the message says why."""


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("classroom", help=_("set up and start a class's JupyterHub from a "
                                           "roster (root; --stop stops it and removes the "
                                           "students' labs)"))
    p.add_argument("roster", nargs="?", help=_("the class list: one account a line, "
                                               "`NAME teacher` for a teacher"))
    p.add_argument("--stop", action="store_true", help=_("stop the hub and remove every "
                                                         "student's labs"))
    p.add_argument("--prepare", action="store_true",
                   help=_("only install what a class needs (the Python every account can "
                          "run, the proxy), as ./lab test does"))
    p.add_argument("--remove-accounts", action="store_true",
                   help=_("with --stop: also remove the accounts labkit made (their homes "
                          "too)"))
    p.add_argument("--dir", default=str(DEFAULT_DIR),
                   help=_("the class directory (default {where}; LABKIT_CLASS_DIR)").format(
                       where=DEFAULT_DIR))
    p.add_argument("--ip", default="127.0.0.1", help=_("the address students connect to "
                                                       "(default 127.0.0.1; 0.0.0.0 for every "
                                                       "interface)"))
    p.add_argument("--port", type=int, default=8000,
                   help=_("the hub's port (default 8000; the next three are the proxy's API, "
                          "the hub's own and the teacher's view)"))


def run(args: argparse.Namespace) -> int:
    class_dir = Path(args.dir)
    if args.stop:
        for line in stop(class_dir, remove_accounts=args.remove_accounts):
            print(line)
        return 0
    say = lambda text: print(f"labkit: {text}", file=sys.stderr, flush=True)  # noqa: E731
    if args.prepare:
        print(_("the class's Python: {python}").format(python=class_python(progress=say)))
        print(_("the proxy: {proxy}").format(proxy=proxy(say)))
        return 0
    if not args.roster:
        raise ClassroomError(_("labkit classroom needs a ROSTER (or --stop, or --prepare)"))
    info = start(roster.load(args.roster), class_dir, ip=args.ip, port=args.port,
                 progress=say)
    print(_("the class's hub: {url}").format(url=info["url"]))
    for name, role, password in info["logins"]:
        said = (_("first password {password}").format(password=password) if password else
                _("their own password"))
        print(f"  {role:8} {name:20} {said}")
    grades = info["nbgrader"]
    if info["formgrader"]:
        names = ", ".join(_("{name} ({n} graded)").format(name=n, n=k)
                          for n, k in grades["assignments"])
        print(_("the teachers grade in formgrader: {url} (the course {course}, {owner}'s; "
                "assignments: {names})").format(url=info["formgrader"], course=grades["course"],
                                               owner=grades["owner"], names=names))
    else:
        print(_("no teacher on the roster: no nbgrader course and no formgrader "
                "(add a line `NAME teacher`)"))
    timeout = info["idle_timeout"]
    print(_("a server idle for {time} is stopped, its labs removed (the roster's "
            "idle-timeout:)").format(time=_minutes(timeout)) if timeout else
          _("idle servers are never stopped (the roster says idle-timeout: never)"))
    print(_("stop it with: {command}").format(
        command=f"labkit classroom --stop --dir {class_dir}"))
    return 0


def _minutes(seconds: int) -> str:
    return (_("{n} min").format(n=seconds // 60) if seconds >= 120 and not seconds % 60 else
            _("{n} s").format(n=seconds))


# -- the pieces ------------------------------------------------------------------------------
def nbgrader_course(members: roster.Roster, class_dir: Path, python: str,
                    progress: Callable[[str], object] = print) -> dict[str, Any]:
    """The class's nbgrader course: the exchange, the servers' configuration and, with a
    teacher on the roster, the course directory made (or brought up to date) by
    `labkit grading init` as the first teacher; {"exchange", "config", "course", "owner",
    "assignments": [(name, graded checks)]} (course and owner None without a teacher)."""
    import pwd

    top = class_dir / "nbgrader"
    top.mkdir(exist_ok=True)
    os.chmod(top, 0o755)
    exchange = top / "exchange"
    exchange.mkdir(exist_ok=True)
    os.chmod(exchange, 0o1777)  # every student submits into it; sticky, as /tmp
    config = grading.servers_config(top / grading.SERVERS_CONFIG, exchange)
    out: dict[str, Any] = {"exchange": str(exchange), "config": str(config), "course": None,
                           "owner": None, "assignments": []}
    if not members.teachers:
        return out
    owner = members.teachers[0]
    entry = pwd.getpwnam(owner)
    root = top / "course"
    root.mkdir(exist_ok=True)  # top is root's: no one else can have put a link here
    os.chown(root, entry.pw_uid, entry.pw_gid)
    os.chmod(root, 0o700)  # the solutions: the teacher's alone
    argv = [python, "-m", "labkit", "grading", "init", str(root), "--exchange", str(exchange)]
    for student in members.students:
        argv += ["--student", student]
    progress(f"making the nbgrader course in {root} (as {owner})")
    done = subprocess.run(  # as the teacher: root never writes where a teacher can link
        argv, cwd=root, capture_output=True, text=True, check=False, timeout=600,
        env={"HOME": entry.pw_dir, "USER": owner, "LOGNAME": owner, "LANG": "C.UTF-8",
             "PATH": f"{Path(python).parent}:/usr/local/bin:/usr/bin:/bin"},
        user=entry.pw_uid, group=entry.pw_gid,
        extra_groups=os.getgrouplist(owner, entry.pw_gid))
    if done.returncode:
        raise ClassroomError(f"the nbgrader course could not be made in {root}: "
                             f"{(done.stderr or done.stdout).strip()}")
    for line in done.stdout.splitlines():
        if line.startswith("assignment ") and ": " in line:
            name, said = line[len("assignment "):].split(": ", 1)
            out["assignments"].append((name, int(said.split()[0])))
    out.update(course=str(root), owner=owner)
    return out


def _as_nobody(argv: list[str]) -> bool:
    """Whether PROBE_USER can run `argv` (exit status 0)."""
    try:
        import pwd

        entry = pwd.getpwnam(PROBE_USER)
        done = subprocess.run(argv, user=entry.pw_uid, group=entry.pw_gid, extra_groups=[],
                              cwd="/", env={"PATH": "/usr/bin:/bin", "HOME": "/nonexistent"},
                              capture_output=True, timeout=60, check=False)
    except (KeyError, OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def class_python(venv: Path = DEFAULT_VENV,
                 progress: Callable[[str], object] = print) -> str:
    """A Python with labkit and JupyterHub that every account can run: this one if it is,
    else the class's own venv at `venv` (made from base_python()), with labkit installed
    editable from a copy of this checkout beside it (class-source: its code, lessons and
    notebooks, which the teacher's view reads), copied again when they change."""
    probe = ["-c", "import labkit.classroom.hub, jupyterhub, jupyterlab"]
    here = str(Path(sys.prefix) / "bin" / "python")
    if _as_nobody([here, *probe]):
        return here
    python = venv / "bin" / "python"
    stamp = venv / ".labkit-installed"
    deps, code = _digests()
    have = stamp.read_text().split() if stamp.exists() else []
    if python.exists() and have == [deps, code]:
        return str(python)
    source = venv.parent / "class-source"
    pip = [str(python), "-m", "pip", "install", "-q", "-c", str(source / "constraints.txt")]
    _copy_source(source)  # labkit editable from a copy every account can read
    if python.exists() and have[:1] == [deps]:
        where = subprocess.run([str(python), "-c", "import labkit; print(labkit.__file__)"],
                               capture_output=True, text=True, check=False,
                               cwd="/").stdout.strip()  # not a checkout's labkit/ in cwd
        if not where.startswith(f"{source}/"):  # not yet the editable one from the copy
            subprocess.run([*pip, "--no-deps", "-e", str(source)], check=True)
        progress(f"brought labkit up to this checkout for the class ({source})")
    else:
        base = base_python(venv.parent, progress)
        progress(f"{here} is not one every account can run: making the class's own Python "
                 f"in {venv} from {base} (a few minutes, once)")
        venv.parent.mkdir(parents=True, exist_ok=True)
        if not python.exists():
            subprocess.run([base, "-m", "venv", str(venv)], check=True)
        subprocess.run([*pip, "--upgrade", "pip"], check=True)  # the pinned one, as ./lab
        subprocess.run([*pip, "-e", f"{source}[classroom]"], check=True)
        subprocess.run(["chmod", "-R", "a+rX", str(venv)], check=True)
        if not _as_nobody([str(python), *probe]):
            raise ClassroomError(f"{python} was made but another account cannot run it "
                                 f"(is a directory above {venv} closed to others?)")
    stamp.write_text(f"{deps} {code}\n")
    return str(python)


def base_python(where: Path, progress: Callable[[str], object] = print) -> str:
    """The interpreter this checkout's venv was made from (the one constraints.txt was
    tested with), where every account can run it: as it is, or copied into `where` (its
    standard library and its shared library; patchelf points the copy at its own lib/)."""
    version = f"{sys.version_info[0]}.{sys.version_info[1]}"
    here = Path(sys.base_prefix)
    exe = here / "bin" / f"python{version}"
    if _as_nobody([str(exe), "-c", "import venv"]):
        return str(exe)
    dest = where / f"python-{sys.version.split()[0]}"
    copy = dest / "bin" / f"python{version}"
    if _as_nobody([str(copy), "-c", "import venv, ensurepip"]):
        return str(copy)
    progress(f"{exe} is in a directory other accounts cannot enter: copying it to {dest}")
    shutil.rmtree(dest, ignore_errors=True)
    (dest / "bin").mkdir(parents=True)
    (dest / "lib").mkdir()
    shutil.copy2(exe, copy)
    for lib in (here / "lib").glob("libpython*.so*"):
        shutil.copy2(lib, dest / "lib" / lib.name, follow_symlinks=False)
    shutil.copytree(here / "lib" / f"python{version}", dest / "lib" / f"python{version}",
                    symlinks=True, dirs_exist_ok=True,
                    ignore=lambda d, names: [n for n in names if n in
                                             ("site-packages", "test", "__pycache__")])
    (dest / "lib" / f"python{version}" / "site-packages").mkdir(exist_ok=True)
    if shutil.which("patchelf"):
        subprocess.run(["patchelf", "--set-rpath", "$ORIGIN/../lib", str(copy)], check=True)
    subprocess.run(["chmod", "-R", "a+rX", str(where)], check=True)
    if not _as_nobody([str(copy), "-c", "import venv, ensurepip"]):
        raise ClassroomError(f"the copy {copy} does not run for other accounts either "
                             "(apt install patchelf, if it is missing, lets it find its "
                             "libpython)")
    return str(copy)


SOURCE_PARTS = ("labkit", "lessons", "notebooks", "pyproject.toml", "README.md",
                "constraints.txt")  # what an editable labkit needs (its course included)


def _copy_source(dest: Path) -> None:
    """This checkout's labkit, lessons and notebooks, copied afresh to `dest`, readable by all."""
    dest.mkdir(parents=True, exist_ok=True)
    for part in SOURCE_PARTS:
        src, dst = REPO / part, dest / part
        if dst.is_dir() and not dst.is_symlink():
            shutil.rmtree(dst)
        if src.is_dir():
            shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(src, dst)
    subprocess.run(["chmod", "-R", "a+rX", str(dest)], check=True)


def _digests() -> tuple[str, str]:
    """What the class's venv was installed from: the dependencies, labkit's own files."""
    import hashlib

    deps = hashlib.sha256()
    for path in [REPO / "pyproject.toml", REPO / "constraints.txt"]:
        deps.update(path.read_bytes())
    code = hashlib.sha256()
    files = [p for part in ("labkit", "lessons", "notebooks", "README.md")
             for p in sorted((REPO / part).rglob("*") if (REPO / part).is_dir() else [REPO / part])]
    for path in files:
        if path.is_file() and "__pycache__" not in path.parts:
            code.update(str(path.relative_to(REPO)).encode() + b"\0" + path.read_bytes())
    return deps.hexdigest()[:16], code.hexdigest()[:16]


def proxy(progress: Callable[[str], object] = print) -> str:
    """configurable-http-proxy as classroom/package-lock.json pins it (npm ci, once)."""
    here = REPO / "classroom"
    found = here / "node_modules" / ".bin" / "configurable-http-proxy"
    if found.exists():
        return str(found)
    npm = shutil.which("npm")
    if npm is None:
        raise ClassroomError(_("the hub's proxy needs Node.js and npm (apt install npm)"))
    progress("installing configurable-http-proxy (npm ci in classroom/)")
    done = subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                          cwd=here, capture_output=True, text=True, check=False)
    if done.returncode or not found.exists():
        raise ClassroomError(f"npm ci in {here} failed: {done.stderr.strip()}")
    return str(found)


def course(class_dir: Path) -> Path:
    """The course's notebooks, copied where every account can read them."""
    dest = class_dir / "course"
    dest.mkdir(parents=True, exist_ok=True)
    for nb in sorted((REPO / "notebooks").glob("*.ipynb")):
        shutil.copyfile(nb, dest / nb.name)
        os.chmod(dest / nb.name, 0o644)
    os.chmod(dest, 0o755)
    return dest


def start(members: roster.Roster, class_dir: Path, *, ip: str = "127.0.0.1", port: int = 8000,
          progress: Callable[[str], object] = print, timeout: float = 60.0) -> dict:
    """Set the class up and start its hub; {"url", "logins": [(name, role, password)],
    "python", "pid"}."""
    if os.geteuid() != 0:
        raise ClassroomError(_("a class's hub runs students as their own accounts: it needs "
                               "root (sudo ./lab classroom ROSTER)"))
    state = class_dir / "hub"
    if _hub_pid(class_dir) is not None:
        raise ClassroomError(_("the class in {where} is running already ({command} stops "
                               "it)").format(where=class_dir, command="labkit classroom --stop "
                                             f"--dir {class_dir}"))
    class_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(class_dir, 0o755)  # students reach course/ (and venv/); hub/ stays root's
    state.mkdir(mode=0o700, exist_ok=True)
    python = class_python(progress=progress)
    made = accounts.ensure(members.names, state)
    passwords = {a.name: a.password for a in made}
    grades = nbgrader_course(members, class_dir, python, progress)
    settings = {"class_dir": str(class_dir), "python": python, "proxy": proxy(progress),
                "ip": ip, "port": port, "students": members.students,
                "teachers": members.teachers, "course": str(course(class_dir)),
                "idle_timeout": members.idle_timeout, "cull_every": members.cull_every,
                "nbgrader": grades}
    (state / CLASS_JSON).write_text(json.dumps(settings, indent=1) + "\n", encoding="utf-8")
    progress(f"starting the hub (its log: {state / 'hub.log'})")
    with open(state / "hub.log", "ab") as log:
        proc = subprocess.Popen(
            [python, "-m", "jupyterhub", "-f", str(REPO / "classroom" / "jupyterhub_config.py")],
            cwd=state, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            env={**_hub_environment(), "LABKIT_CLASS": str(state / CLASS_JSON)},
            start_new_session=True)
    url = f"http://{'127.0.0.1' if ip == '0.0.0.0' else ip}:{port}/"
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            tail = (state / "hub.log").read_text(errors="replace").splitlines()[-15:]
            raise ClassroomError("the hub stopped as it started:\n  " + "\n  ".join(tail))
        with contextlib.suppress(OSError, urllib.error.URLError):
            with urllib.request.urlopen(url + "hub/api", timeout=2) as reply:
                if reply.status == 200:
                    break
        if time.monotonic() > deadline:
            proc.terminate()
            raise ClassroomError(f"the hub did not answer at {url} in {timeout:.0f} s "
                                 f"(its log: {state / 'hub.log'})")
        time.sleep(0.3)
    logins = [(m.name, m.role, passwords.get(m.name)) for m in members.members]
    return {"url": url, "logins": logins, "python": python, "pid": proc.pid,
            "formgrader": f"{url}services/{grading.FORMGRADER}/formgrader"
            if grades["course"] else None, "nbgrader": grades,
            "idle_timeout": members.idle_timeout}


def _hub_environment() -> dict[str, str]:
    """The hub's environment: this one without labkit's settings and this venv's (a test's
    LABKIT_PROGRESS=off, say, is not the class's)."""
    drop = ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")
    return {k: v for k, v in os.environ.items() if not k.startswith("LABKIT_") and k not in drop}


def _hub_pid(class_dir: Path) -> int | None:
    """The pid of the class's running hub, or None (a stale pid file is no hub)."""
    try:
        pid = int((class_dir / "hub" / "hub.pid").read_text().strip())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (OSError, ValueError):
        return None
    return pid if b"jupyterhub" in cmdline else None


def _ended(pid: int) -> bool:
    """Whether process `pid` has exited (a child of ours is reaped: start() ran it here)."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)
    return records.start_time(pid) is None


def stop(class_dir: Path, *, remove_accounts: bool = False, timeout: float = 90.0) -> list[str]:
    """Stop the class's hub (which stops every server, each stop removing that user's labs),
    then clean every roster account's labs again; what was done, a line each."""
    out: list[str] = []
    state = class_dir / "hub"
    try:
        settings = hub.settings(state / CLASS_JSON)
    except (OSError, ValueError):
        raise ClassroomError(_("no class set up in {where}").format(where=class_dir)) from None
    pid = _hub_pid(class_dir)
    if pid is None:
        out.append(_("the hub was not running"))
    else:
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while not _ended(pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        if not _ended(pid):
            os.kill(pid, signal.SIGKILL)
            out.append(_("the hub (process {pid}) did not stop in {seconds} s: killed").format(
                pid=pid, seconds=f"{timeout:.0f}"))
        else:
            out.append(_("the hub (process {pid}) stopped, and with it every student's "
                         "server").format(pid=pid))
    import asyncio

    for user in [*settings["students"], *settings["teachers"]]:
        try:
            said = asyncio.run(remove_labs(user, settings["python"]))
        except KeyError:
            continue
        out.append(f"{user}: {said}")
    if remove_accounts:
        gone = accounts.remove(state)
        out.append(_("removed the accounts {names}").format(names=", ".join(gone)) if gone else
                   _("no account labkit made was left to remove"))
    return out

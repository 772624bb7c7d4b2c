"""JupyterHub's configuration for a class on one machine (classroom/jupyterhub_config.py
calls `configure(c, CLASS_JSON)`; command.py writes the JSON).

- PAM login: each student's and teacher's own Unix account and password (accounts.py made
  them from the roster); only the roster may log in; teachers are the hub's admins.
- LocalProcessSpawner: each server runs as its user (their uid, their private home), with the
  class's Python, which every account can run; a user who is not root gets the sim engine.
  `JUPYTERHUB_USER` in the server's environment gives `Lab()` the student's own lab id.
- A post-stop hook removes the stopped server's labs (cleanup.py, as that user), whatever
  stopped it: the student, the teacher, the culler, a crash noticed by the hub, the hub's
  own shutdown.
- The teacher's view (`labkit.classroom.teacher`, where it is installed) runs as the hub
  service `teacher`, reachable by the teachers alone.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import pwd
import sys
from pathlib import Path
from typing import Any

from labkit.classroom import grading, roster
from labkit.classroom.cleanup import culler_service, remove_labs

SERVICE = "teacher"


def settings(path: str | Path) -> dict[str, Any]:
    """What command.py wrote: class_dir, python, proxy, ip, port, students, teachers, course."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


def ports(port: int) -> dict[str, int]:
    """The hub's five ports, from the public one: the proxy's API, the hub, the teacher's
    view, formgrader follow it."""
    return {"public": port, "proxy_api": port + 1, "hub": port + 2, "teacher": port + 3,
            "formgrader": port + 4}


def homes(users: list[str]) -> dict[str, str]:
    """Each user's home directory (where their progress record lives)."""
    out = {}
    for user in users:
        try:
            out[user] = pwd.getpwnam(user).pw_dir
        except KeyError:
            continue
    return out


def configure(c: Any, class_json: str | Path) -> None:
    """Fill JupyterHub's config object `c` for the class `class_json` describes."""
    s = settings(class_json)
    class_dir = Path(s["class_dir"])
    state = class_dir / "hub"
    python = s["python"]
    bindir = str(Path(python).parent)
    port = ports(int(s["port"]))
    users = list(s["students"]) + list(s["teachers"])
    from labkit.classroom import singleuser  # the students' server: its settings, its bytecode

    failed = singleuser.compile_class_python(python, str(Path(__file__).resolve().parents[1]))
    if failed:  # slower starts, not a broken class
        print(f"labkit: byte-compiling the class's Python: {failed}", flush=True)

    c.JupyterHub.bind_url = f"http://{s['ip']}:{port['public']}"
    c.JupyterHub.hub_bind_url = f"http://127.0.0.1:{port['hub']}"
    c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{port['proxy_api']}"
    c.ConfigurableHTTPProxy.command = [s["proxy"]]
    c.ConfigurableHTTPProxy.pid_file = str(state / "proxy.pid")
    c.JupyterHub.db_url = f"sqlite:///{state / 'jupyterhub.sqlite'}"
    c.JupyterHub.cookie_secret_file = str(state / "cookie_secret")
    c.JupyterHub.pid_file = str(state / "hub.pid")
    c.JupyterHub.cleanup_servers = True  # the hub's stop stops every server (and its labs)

    c.JupyterHub.authenticator_class = "pam"
    c.PAMAuthenticator.open_sessions = False
    c.Authenticator.allowed_users = set(users)
    c.Authenticator.admin_users = set(s["teachers"])

    c.JupyterHub.spawner_class = "localprocess"
    # jupyterhub-singleuser, with what a student does not use at start left out (singleuser.py)
    c.Spawner.cmd = [python, *(["-P"] if sys.version_info >= (3, 11) else []),  # not from ~
                     "-m", "labkit.classroom.singleuser"]
    c.Spawner.default_url = "/lab"
    c.Spawner.notebook_dir = "~"
    c.Spawner.environment = {
        "PATH": f"{bindir}:/usr/local/bin:/usr/bin:/bin",
        # where `labkit notebooks` (reset) finds the copy the pre-spawn hook made
        "LABKIT_NOTEBOOKS": lambda spawner: f"{_home(spawner.user.name)}/labkit-notebooks",
        singleuser.ROLE_ENV: lambda spawner: (
            "teacher" if spawner.user.name in s["teachers"] else "student"),
    }
    grades = s.get("nbgrader") or {}
    if grades.get("config"):  # nbgrader's course id and exchange, in every server
        c.Spawner.environment["JUPYTER_CONFIG_PATH"] = grades["config"]
    c.Spawner.start_timeout = int(s.get("start_timeout", 120))
    c.Spawner.http_timeout = int(s.get("start_timeout", 120))
    c.Spawner.pre_spawn_hook = _copy_notebooks(python, s.get("course"))
    c.Spawner.post_stop_hook = _remove_labs(python)

    if importlib.util.find_spec("labkit.classroom.teacher") is not None:
        c.JupyterHub.services = [{
            "name": SERVICE,
            "url": f"http://127.0.0.1:{port['teacher']}",
            "command": [python, "-m", "labkit.classroom.teacher"],
            "environment": {"LABKIT_CLASSROOM_HOMES": json.dumps(homes(users))},
            "oauth_no_confirm": True,
        }]
        c.JupyterHub.load_roles = [
            {"name": "teacher-view", "services": [SERVICE],
             "scopes": ["list:users", "read:users", "servers"]},  # servers: its reset
            # the admins (the teachers) may open it; no one else is granted access
            {"name": "teachers", "users": list(s["teachers"]),
             "scopes": [f"access:services!service={SERVICE}"]},
        ]
    extra = [culler_service(python, int(s.get("idle_timeout", roster.IDLE_TIMEOUT)),
                            int(s.get("cull_every", 300)))]
    if grades.get("course"):
        extra.append(grading.formgrader_service(
            grades["course"], grades["owner"], python,
            f"http://127.0.0.1:{port['formgrader']}", list(s["teachers"])))
    _add_services(c, [pair for pair in extra if pair])


def _add_services(c: Any, pairs: list[tuple[dict, dict]]) -> None:
    """Each (service, its role) added to the hub's services and roles."""
    services = list(c.JupyterHub.services) if "services" in c.JupyterHub else []
    roles = list(c.JupyterHub.load_roles) if "load_roles" in c.JupyterHub else []
    c.JupyterHub.services = services + [service for service, _ in pairs]
    c.JupyterHub.load_roles = roles + [role for _, role in pairs]


def _home(user: str) -> str:
    return pwd.getpwnam(user).pw_dir


def _copy_notebooks(python: str, course: str | None) -> Any:
    """The pre-spawn hook: the user's own copy of the course's notebooks, made as the user
    (labkit notebooks: added the first time, never written over after)."""

    async def hook(spawner: Any) -> None:
        if not course:
            return
        entry = pwd.getpwnam(spawner.user.name)
        home = entry.pw_dir
        proc = await asyncio.create_subprocess_exec(
            python, "-m", "labkit", "notebooks", "--course", course, cwd=home,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
            env={"HOME": home, "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8",
                 "LABKIT_NOTEBOOKS": f"{home}/labkit-notebooks"},
            user=entry.pw_uid, group=entry.pw_gid,
            extra_groups=os.getgrouplist(entry.pw_name, entry.pw_gid))
        _, err = await proc.communicate()
        if proc.returncode:
            spawner.log.warning("labkit notebooks for %s: %s", spawner.user.name,
                                err.decode(errors="replace").strip())

    return hook


def _remove_labs(python: str) -> Any:
    """The post-stop hook: the stopped server's user's labs removed, as that user."""

    async def hook(spawner: Any) -> None:
        said = await remove_labs(spawner.user.name, python)
        spawner.log.info("labkit cleanup for %s: %s", spawner.user.name, said)

    return hook

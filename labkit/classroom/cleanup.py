"""Remove one user's labs when their server stops: labkit's own cleanup, run as that user.

The hub's post-stop hook calls `remove_labs` after a student's server stopped (culled,
stopped by the teacher, crashed, or the hub shutting down). It runs `python -m labkit
cleanup` with the student's uid and groups, in their home, so only records in their own
record directory are read and only what those list is removed (root never acts on what a
student's file says). A lab whose process still runs (a kernel finishing its shutdown) is
waited for a few seconds, then cleaned.
"""

from __future__ import annotations

import asyncio
import os
import pwd
import time
from pathlib import Path

WAIT = 10.0  # seconds for a stopping kernel's lab to be left by its process


def _runs_as(user: str) -> dict[str, object]:
    entry = pwd.getpwnam(user)
    env = {"HOME": entry.pw_dir, "USER": user, "LOGNAME": user, "LANG": "C.UTF-8",
           "PATH": "/usr/local/bin:/usr/bin:/bin", "LABKIT_PROGRESS": "off"}
    kwargs: dict[str, object] = {"cwd": entry.pw_dir, "env": env}
    if os.geteuid() == 0 and entry.pw_uid != 0:
        kwargs.update(user=entry.pw_uid, group=entry.pw_gid,
                      extra_groups=os.getgrouplist(user, entry.pw_gid))
    return kwargs


async def remove_labs(user: str, python: str | Path, wait: float = WAIT) -> str:
    """Clean up every lab `user` left (their record directory's), as `user`; what labkit's
    cleanup printed. Labs still held by a live process are retried until `wait` passes."""
    deadline = time.monotonic() + wait
    while True:
        proc = await asyncio.create_subprocess_exec(
            str(python), "-m", "labkit", "cleanup", stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT, **_runs_as(user))  # type: ignore[arg-type]
        out, _ = await proc.communicate()
        text = out.decode("utf-8", "replace").strip()
        if proc.returncode == 0 or time.monotonic() > deadline:
            return text
        await asyncio.sleep(0.5)


CULLER = "idle-culler"
# what jupyterhub-idle-culler's documentation asks for: read every user's activity, stop servers
CULLER_SCOPES = ["list:users", "read:users:activity", "read:servers", "delete:servers"]


def culler_service(python: str | Path, timeout: int, every: int) -> tuple[dict, dict] | None:
    """The hub service that stops a server idle for `timeout` seconds (looking every `every`),
    and its role; None for a timeout of 0 (idle servers kept). A server it stops is stopped as
    any other: the post-stop hook removes its labs."""
    if timeout <= 0:
        return None
    service = {"name": CULLER,
               "command": [str(python), "-m", "jupyterhub_idle_culler", f"--timeout={timeout}",
                           f"--cull-every={max(1, every)}"]}
    role = {"name": CULLER, "services": [CULLER], "scopes": CULLER_SCOPES}
    return service, role

"""The teacher's view: a JupyterHub service showing every student × exercise, live.

Run by the hub as a managed service, `[PYTHON, "-m", "labkit.classroom.teacher"]`, with the
hub's service environment (JUPYTERHUB_SERVICE_PREFIX, JUPYTERHUB_API_TOKEN, JUPYTERHUB_API_URL,
JUPYTERHUB_SERVICE_URL: where to listen, JUPYTERHUB_CLIENT_ID and the OAuth variables) and
LABKIT_CLASSROOM_HOMES, a JSON object `{"alice": "/home/alice", ...}`: whose records to read.

    GET  {prefix}                  the page: the table, reloading itself when the data change
    GET  {prefix}api/progress      {"students": {USER: {EXERCISE: {"state", "problems", ...}}}}
    POST {prefix}api/reset/USER    reset USER's lab: their server is stopped (the hub's post-stop
                                   hook removes every lab of theirs) and started again

Who may look: the hub decides, through OAuth (HubOAuth): a user whose roles give them
`access:services!service=NAME` (the hub's admins and the class's teachers, as the hub's config
grants it); everybody else gets 403. Each student's record is read with labkit.progress's loader
from `HOME/.local/share/labkit/progress.json` (a student's server sets no XDG_DATA_HOME of its
own), read afresh at every request: a record is a small file, a class a few dozen of them.

A reset is the hub's own stop and start of that student's server (the service's token needs the
scopes `read:users`, `read:servers` and `servers` on the class's users): every engine's lab
lives in the student's kernel (the sim) or is removed with it by the hub's post-stop cleanup
(netns, vm), so a fresh server is a fresh lab, and no process of the service touches a
student's files.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlparse

from labkit.errors import LabkitError
from labkit.i18n import _
from labkit.views import classroom as view

HOMES_ENV = "LABKIT_CLASSROOM_HOMES"
STOP_WAIT = 60.0  # seconds a reset waits for the hub to stop a server before starting it


def homes(env: Mapping[str, str] = os.environ) -> dict[str, Path]:
    """user -> home directory, from LABKIT_CLASSROOM_HOMES; a clear error if it is not one."""
    raw = env.get(HOMES_ENV, "")
    if not raw.strip():
        raise LabkitError(f"{HOMES_ENV} is not set: it says whose progress to show, as a JSON "
                          'object of user names and home directories ({"alice": "/home/alice"})')
    try:
        given = json.loads(raw)
    except ValueError as exc:
        raise LabkitError(f"{HOMES_ENV} is not JSON: {exc}") from None
    if not isinstance(given, dict) or not all(
            isinstance(k, str) and k and isinstance(v, str) and os.path.isabs(v)
            for k, v in given.items()):
        raise LabkitError(f"{HOMES_ENV} must be a JSON object of user names and absolute home "
                          'directories ({"alice": "/home/alice"})')
    return {user: Path(home) for user, home in given.items()}


def record_path(home: Path) -> Path:
    """Where the student's record is: progress.location as their server, with HOME `home`."""
    from labkit import progress

    where = progress.location({"XDG_DATA_HOME": str(home / ".local" / "share")})
    assert where is not None  # LABKIT_PROGRESS is not in that environment
    return where


def read_class(class_homes: Mapping[str, Path]) -> list[view.Student]:
    """Every student's record, read now (a missing one is a student who has not started)."""
    from labkit import progress

    out = []
    for user, home in class_homes.items():
        record = progress.load(record_path(home))
        out.append(view.Student(user, record.attempts, record.notice))
    return out


def course(notebooks: Path | None = None) -> list[Any]:
    """The course's notebooks and their exercises (the learner version labkit ships)."""
    from labkit import progress

    return progress.course(notebooks)


class Hub:
    """What the service asks of the hub's REST API, with the service's own token."""

    def __init__(self, api_url: str, token: str) -> None:
        self.api_url = api_url.rstrip("/")
        self.token = token

    async def request(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        from tornado.httpclient import AsyncHTTPClient, HTTPClientError

        kwargs: dict[str, Any] = {"method": method,
                                  "headers": {"Authorization": f"token {self.token}"}}
        if method in ("POST", "PATCH"):
            kwargs["body"] = json.dumps(body or {})
        try:
            reply = await AsyncHTTPClient().fetch(self.api_url + path, **kwargs)
        except HTTPClientError as exc:
            if exc.response is None:
                raise
            reply = exc.response
        text = reply.body.decode("utf-8", "replace") if reply.body else ""
        try:
            return reply.code, json.loads(text) if text else None
        except ValueError:
            return reply.code, text

    async def reset(self, user: str) -> str:
        """Stop the user's server, wait until the hub says it stopped, start it again."""
        where = f"/users/{quote(user, safe='')}"
        code, model = await self.request("GET", where)
        if code != 200:
            raise LabkitError(_("the hub does not know {user} ({code})").format(
                user=repr(user), code=code))
        if not isinstance(model, dict) or "servers" not in model:
            raise LabkitError(_("the hub shows this service none of {user}'s servers: its "
                                "role needs the scopes read:servers and servers").format(
                                    user=user))
        if not _running(model):
            return _("{user} has no server running: no lab of theirs is left; their next start "
                     "gives them a fresh one").format(user=user)
        code, reply = await self.request("DELETE", where + "/server")
        if code not in (202, 204):
            raise LabkitError(_("the hub would not stop {user}'s server ({code}: {reply})")
                              .format(user=user, code=code, reply=reply))
        waited = 0.0
        while code == 202 or _running(model):
            if waited >= STOP_WAIT:
                raise LabkitError(_("{user}'s server did not stop within {seconds} s").format(
                    user=user, seconds=f"{STOP_WAIT:.0f}"))
            await asyncio.sleep(0.5)
            waited += 0.5
            code, model = await self.request("GET", where)
        code, reply = await self.request("POST", where + "/server")
        if code not in (201, 202):
            raise LabkitError(_("{user}'s server stopped (their labs are removed) but did not "
                                "start again ({code}: {reply})").format(user=user, code=code,
                                                                       reply=reply))
        return _("{user}'s lab was reset: their server stopped, their labs were removed, and "
                 "it is starting again").format(user=user)


def _running(model: Any) -> bool:
    """Whether the user model shows a default server running or on its way."""
    if not isinstance(model, dict):
        return False
    servers = model.get("servers") or {}
    return bool(model.get("server") or model.get("pending") or "" in servers)


def make_app(class_homes: Mapping[str, Path], prefix: str, hub: Hub,
             notebooks: Path | None = None) -> Any:
    """The tornado application serving the page and the API under `prefix`."""
    from jupyterhub.services.auth import (  # type: ignore[import-untyped]
        HubOAuthCallbackHandler,
        HubOAuthenticated,
    )
    from jupyterhub.utils import url_path_join  # type: ignore[import-untyped]
    from tornado import web

    known = dict(class_homes)
    exercises = course(notebooks)

    class Base(HubOAuthenticated, web.RequestHandler):
        def write_json(self, status: int, body: Any) -> None:
            self.set_status(status)
            self.set_header("Content-Type", "application/json")
            self.set_header("Cache-Control", "no-store")
            self.finish(json.dumps(body))

        def refused(self) -> bool:
            """An API call from nobody the hub lets in: 403 in JSON (not the login redirect
            a browser gets)."""
            if self.current_user:
                return False
            self.write_json(403, {"message": "only the class's teachers may see this (log in "
                                  "to the hub as one)"})
            return True

    class Page(Base):
        @web.authenticated
        def get(self) -> None:
            self.set_header("Cache-Control", "no-store")
            self.finish(view.page(exercises, read_class(known), prefix,
                                  xsrf=self.xsrf_token.decode("ascii")))

    class Progress(Base):
        def get(self) -> None:
            if self.refused():
                return
            self.write_json(200, view.data(exercises, read_class(known)))

    class Reset(Base):
        async def post(self, user: str) -> None:
            if self.refused():
                return
            if user not in known:
                self.write_json(404, {"message": f"{user!r} is not a student of this class"})
                return
            try:
                message = await hub.reset(user)
            except LabkitError as exc:
                self.write_json(502, {"student": user, "message": str(exc)})
                return
            self.write_json(200, {"student": user, "message": message})

    return web.Application([
        (prefix, Page),
        (url_path_join(prefix, "api/progress"), Progress),
        (url_path_join(prefix, r"api/reset/([^/]+)"), Reset),
        (url_path_join(prefix, "oauth_callback"), HubOAuthCallbackHandler),
    # no xsrf_cookies: HubOAuth checks the XSRF token itself when a request is authenticated by
    # its cookie (the page's button sends it), and a request with a token needs none
    ], cookie_secret=os.urandom(32))


def main(env: Mapping[str, str] = os.environ) -> int:
    """Serve until stopped, as the hub runs it."""
    from tornado.ioloop import IOLoop

    try:
        class_homes = homes(env)
        prefix = env.get("JUPYTERHUB_SERVICE_PREFIX", "/services/teacher/")
        prefix = prefix if prefix.endswith("/") else prefix + "/"
        url = urlparse(env.get("JUPYTERHUB_SERVICE_URL", "") or "http://127.0.0.1:10101")
        hub = Hub(env.get("JUPYTERHUB_API_URL", "http://127.0.0.1:8081/hub/api"),
                  env.get("JUPYTERHUB_API_TOKEN", ""))
        app = make_app(class_homes, prefix, hub)
    except LabkitError as exc:
        print(f"labkit teacher: {exc}", file=sys.stderr)
        return 2
    app.listen(url.port or 80, url.hostname or "127.0.0.1")
    print(f"labkit teacher: {len(class_homes)} students, serving {prefix} on "
          f"{url.hostname}:{url.port}", file=sys.stderr, flush=True)
    IOLoop.current().start()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""A link that opens the course in one language with JupyterLab's menus in it too: the way
Binder (binder/) gets what `./lab --lang ja` does on a learner's machine.

A Binder session cannot be told anything before its server starts but the page to land on
(`?urlpath=`), and JupyterLab has no URL parameter for its language: its language is the
setting `locale` of `@jupyterlab/translation-extension:plugin`, read when the page loads. So
this small Jupyter server extension answers

    {base_url}labkit/lang/ja   ->  the setting ja_JP, then lab/tree/notebooks/ja/00-start-here.ipynb
    {base_url}labkit/lang/en   ->  the setting en,    then lab/tree/notebooks/00-start-here.ipynb

and a Binder link says `?urlpath=labkit/lang/ja`. The setting is written where JupyterLab's own
Settings > Language menu writes it (the user's settings), so the menu changes it back the same
way. binder/start enables the extension (binder/jupyter-config); `./lab` does not, since on a
learner's own machine that setting is theirs (`./lab --lang ja` gives its server a default
instead, README: 日本語で).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import tornado.web
from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.utils import url_path_join

PLUGIN = "@jupyterlab/translation-extension:plugin"
# language -> (JupyterLab's locale for it, the course's first notebook, from the server's root)
COURSES = {
    "ja": ("ja_JP", "notebooks/ja/00-start-here.ipynb"),
    "en": ("en", "notebooks/00-start-here.ipynb"),
}


def settings_file(user_settings_dir: str | Path) -> Path:
    """Where JupyterLab keeps the user's language setting (as its settings API does:
    DIR/@jupyterlab/translation-extension/plugin.jupyterlab-settings)."""
    package, plugin = PLUGIN.split(":")
    return Path(user_settings_dir) / package / f"{plugin}.jupyterlab-settings"


def set_locale(user_settings_dir: str | Path, locale: str) -> Path:
    """Set the user's JupyterLab language to `locale`, keeping the plugin's other settings
    (an unreadable file is replaced, as JupyterLab would on its next save)."""
    path = settings_file(user_settings_dir)
    settings: dict[str, Any] = {}
    try:
        import json5  # jupyterlab_server's own reader of settings files (comments allowed)

        found = json5.loads(path.read_text(encoding="utf-8"))
        if isinstance(found, dict):
            settings = found
    except (OSError, ValueError):
        pass
    settings["locale"] = locale
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(settings, indent=4) + "\n", encoding="utf-8")
    return path


class LanguageHandler(JupyterHandler):
    """GET labkit/lang/LANG: the language setting, then the course's first notebook."""

    @tornado.web.authenticated
    def get(self, lang: str) -> None:
        if lang not in COURSES:
            raise tornado.web.HTTPError(
                404, f"no course in the language {lang!r} (there are: {', '.join(COURSES)})")
        locale, notebook = COURSES[lang]
        set_locale(_user_settings_dir(self.settings["serverapp"]), locale)
        self.redirect(url_path_join(self.base_url, "lab", "tree", notebook))


def _user_settings_dir(serverapp: Any) -> str:
    """JupyterLab's user settings directory in this server (LabApp.user_settings_dir), else
    JupyterLab's default for it ($JUPYTERLAB_SETTINGS_DIR, else lab/user-settings in
    Jupyter's config directory)."""
    for app in serverapp.extension_manager.extension_apps.get("jupyterlab", ()):
        found = getattr(app, "user_settings_dir", None)
        if found:
            return str(found)
    from jupyter_core.paths import jupyter_config_dir

    return os.environ.get("JUPYTERLAB_SETTINGS_DIR") or os.path.join(
        jupyter_config_dir(), "lab", "user-settings")


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "labkit.jupyter_lang"}]


def _load_jupyter_server_extension(serverapp: Any) -> None:
    web_app = serverapp.web_app
    route = url_path_join(web_app.settings["base_url"], "labkit", "lang", "([^/]+)")
    web_app.add_handlers(".*$", [(route, LanguageHandler)])

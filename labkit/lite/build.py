"""Building the browser site: JupyterLite with the Pyodide kernel, every notebook of the course
as the checkout holds it now, and all the sim's path imports inside the site.

Pyodide's npm package (lite/package.json, pinned by lite/package-lock.json, `npm ci` into the
git-ignored lite/node_modules) holds Pyodide's core and a lock naming 356 packages, but none of
their wheels. The kernel loads micropip, ipython and jedi from that lock at start, and labkit
needs comm and ipywidgets: their pure-Python wheels come from PyPI (lite/wheels.txt, each
hash checked by pip), labkit's own wheel is made from the checkout, and the lock is rewritten
so that those entries name the files the site ships (PyPI's wheels differ from Pyodide's
repacked ones in sha256) and labkit, ipywidgets and comm are entries too (so `import labkit`
in a cell loads them, as Pyodide loads any import it finds in the lock). Every other entry
points at Pyodide's CDN: pandas or matplotlib load from there where a browser can reach it,
and nothing else is ever fetched from outside the site.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from labkit.errors import LabkitError

REPO = Path(__file__).resolve().parents[2]
LITE = REPO / "lite"
CACHE = LITE / ".cache"
DEFAULT_OUT = LITE / "site"
NODE_PYODIDE = LITE / "node_modules" / "pyodide"
# what of the npm package the browser needs (no sourcemaps, typings, consoles, README)
PYODIDE_FILES = ("pyodide.mjs", "pyodide.js", "pyodide.asm.mjs", "pyodide.asm.wasm",
                 "python_stdlib.zip", "pyodide-lock.json", "package.json")
CDN = "https://cdn.jsdelivr.net/pyodide/v{version}/full/"
# the site's own lock entries beyond Pyodide's: name -> (imports, depends)
EXTRA_ENTRIES = {
    "comm": (["comm"], ["traitlets"]),
    "ipywidgets": (["ipywidgets"], ["comm", "ipython", "traitlets"]),
    "labkit": (["labkit"], ["ipywidgets", "ipython", "traitlets", "comm", "pygments"]),
    # the kernel's own, from jupyterlite-pyodide-kernel's extension (its piplite index)
    "piplite": (["piplite"], ["micropip"]),
    "ipykernel": (["ipykernel"], []),
    "pyodide-kernel": (["pyodide_kernel"], ["ipykernel", "comm", "ipython"]),
}
# what the kernel would otherwise micropip.install (piplite) and piplite.install one by one
# at start, each a resolve against piplite's index, and labkit: all from the lock, loaded in
# parallel with Pyodide itself (the names the kernel's worker looks for in this list)
PRELOAD = ("micropip", "piplite", "ipykernel", "pyodide-kernel", "comm", "jedi", "ipython",
           "labkit")
PRELOAD_UNTUNED = ("micropip", "comm", "jedi", "ipython", "labkit")
KERNEL_EXTENSION = "@jupyterlite/pyodide-kernel-extension"
# the JupyterLab extensions the site loads: the kernel and the dashboard's widgets (not the
# checkout's others: nbgrader's and jupytext's need a server, and each is script to load)
EXTENSIONS = (KERNEL_EXTENSION, "@jupyter-widgets/jupyterlab-manager")
KERNEL_WHEELS = ("piplite", "ipykernel", "pyodide_kernel")
KERNEL_SETTINGS = "@jupyterlite/pyodide-kernel-extension:kernel"
SITE_MARK = "labkit-lite.json"  # written into every site built here: what may be replaced

Log = Callable[[str], None]


@dataclass(frozen=True)
class Tuning:
    """What the build does to shorten the learner's wait for a first output (each can be
    turned off, so that bench/lite.py measures what each one saves against a site without)."""

    bytecode: bool = True  # the wheels' modules precompiled (precompiled())
    kernel_in_lock: bool = True  # the kernel's own packages loaded from the lock, -P
    lean_extensions: bool = True  # only EXTENSIONS, not every one the environment has


NO_TUNING = Tuning(bytecode=False, kernel_in_lock=False, lean_extensions=False)


@dataclass
class Site:
    """A built site: where it is, its size, what it ships."""

    out: Path
    bytes: int
    pyodide_bytes: int
    notebooks: list[str]
    wheels: list[str]


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _run(cmd: list[str], what: str, cwd: Path | None = None) -> None:
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-15:])
        raise LabkitError(f"{what} failed (status {done.returncode}):\n{tail}")


def ensure_pyodide(log: Log) -> Path:
    """lite/node_modules/pyodide as lite/package-lock.json pins it (`npm ci` when missing or
    when the lock changed since)."""
    lock = LITE / "package-lock.json"
    stamp = LITE / "node_modules" / ".labkit-lock-sha256"
    digest = hashlib.sha256(lock.read_bytes()).hexdigest()
    if (NODE_PYODIDE / "pyodide.mjs").is_file() and stamp.is_file() \
            and stamp.read_text().strip() == digest:
        return NODE_PYODIDE
    npm = shutil.which("npm")
    if npm is None:
        raise LabkitError("npm is missing: the site's Pyodide comes from the npm registry "
                          "(Debian: apt-get install npm)")
    log("npm ci: Pyodide from the npm registry, as lite/package-lock.json pins it")
    _run([npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund"], "npm ci", cwd=LITE)
    stamp.write_text(digest + "\n")
    return NODE_PYODIDE


def ensure_wheels(log: Log) -> list[Path]:
    """The wheels lite/wheels.txt pins, from PyPI once (pip checks every hash), then cached."""
    wanted = [line.split()[0] for line in (LITE / "wheels.txt").read_text().splitlines()
              if line.strip() and not line.startswith("#")]
    folder = CACHE / "wheels"
    have = {normalize(p.name.split("-")[0]) + "==" + p.name.split("-")[1]: p
            for p in folder.glob("*.whl")} if folder.is_dir() else {}
    if not all(normalize(w.split("==")[0]) + "==" + w.split("==")[1] in have for w in wanted):
        log(f"pip download: {len(wanted)} pure-Python wheels for Pyodide (lite/wheels.txt)")
        folder.mkdir(parents=True, exist_ok=True)
        _run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--require-hashes",
              "--only-binary=:all:", "--python-version", "3.14", "--implementation", "py",
              "--abi", "none", "--platform", "any", "-d", str(folder),
              "-r", str(LITE / "wheels.txt")], "pip download (lite/wheels.txt)")
        have = {normalize(p.name.split("-")[0]) + "==" + p.name.split("-")[1]: p
                for p in folder.glob("*.whl")}
    return [have[normalize(w.split("==")[0]) + "==" + w.split("==")[1]] for w in wanted]


def labextension(name: str) -> Path:
    """JupyterLab extension `name` as this environment installed it."""
    for root in (Path(sys.prefix), Path(sys.base_prefix), Path("/usr/local"), Path("/usr")):
        folder = root / "share" / "jupyter" / "labextensions" / name
        if (folder / "package.json").is_file():
            return folder
    raise LabkitError(f"the JupyterLab extension {name} is not installed "
                      "(pip install -e '.[lite]')")


def kernel_wheels() -> list[Path]:
    """The kernel's own wheels (piplite, its ipykernel shim, pyodide_kernel), as the
    installed jupyterlite-pyodide-kernel ships them for its piplite index."""
    pypi = labextension(KERNEL_EXTENSION) / "static" / "pypi"
    found = []
    for name in KERNEL_WHEELS:
        wheels = sorted(pypi.glob(f"{name}-*-py3-none-any.whl"))
        if not wheels:
            raise LabkitError(f"{pypi} has no {name} wheel (jupyterlite-pyodide-kernel)")
        found.append(wheels[-1])
    return found


def precompiled(wheels: list[Path], log: Log) -> list[Path]:
    """Each wheel with its modules' bytecode for Pyodide's Python beside them (lite/
    pycompile.mjs, run by node with the site's own Pyodide), so that the browser imports
    them without compiling them at every page load; cached by each wheel's sha256."""
    folder = CACHE / "pyc"
    done = {w: folder / _sha256(w)[:16] / w.name for w in wheels}
    todo = [w for w, out in done.items() if not out.is_file()]
    if todo:
        node = shutil.which("node") or shutil.which("nodejs")
        if node is None:
            raise LabkitError("node is missing: Pyodide compiles the site's wheels "
                              "(Debian: apt-get install nodejs npm)")
        log(f"node lite/pycompile.mjs: bytecode for {len(todo)} wheels")
        with tempfile.TemporaryDirectory(prefix="labkit-pyc-") as tmp:
            src, dst = Path(tmp) / "in", Path(tmp) / "out"
            src.mkdir()
            dst.mkdir()
            for w in todo:
                shutil.copy2(w, src / w.name)
            _run([node, str(LITE / "pycompile.mjs"), str(src), str(dst)],
                 "compiling the wheels for Pyodide", cwd=LITE)
            for w in todo:
                done[w].parent.mkdir(parents=True, exist_ok=True)
                shutil.move(dst / w.name, done[w])
                done[w].chmod(0o644)  # node wrote it 0666
    for old in folder.glob("*/*.whl"):  # earlier builds' labkit, say
        if old not in done.values():
            shutil.rmtree(old.parent)
    return [done[w] for w in wheels]


def labkit_wheel(folder: Path, notebooks: Path, pages: list[Path]) -> Path:
    """labkit's own wheel, made from the checkout as it is now (pure Python: its modules and
    data files, a dist-info naming no dependencies, since the lock says what it needs). The
    course's notebooks go beside the package, where they sit in a checkout, for what reads
    the course's exercises from them (progress.report())."""
    version = re.search(r'^version = "([^"]+)"', (REPO / "pyproject.toml").read_text(),
                        re.M)
    assert version is not None
    ver = version.group(1)
    dist = f"labkit-{ver}.dist-info"
    path = folder / f"labkit-{ver}-py3-none-any.whl"
    folder.mkdir(parents=True, exist_ok=True)
    files: list[tuple[str, bytes]] = []
    for src in sorted((REPO / "labkit").rglob("*")):
        if src.is_file() and "__pycache__" not in src.parts and src.suffix != ".pyc":
            files.append((src.relative_to(REPO).as_posix(), src.read_bytes()))
    files += [(f"notebooks/{p.relative_to(notebooks).as_posix()}", p.read_bytes())
              for p in pages]
    files.append((f"{dist}/METADATA", f"Metadata-Version: 2.1\nName: labkit\nVersion: {ver}\n"
                  "Summary: labkit for the browser (JupyterLite)\n".encode()))
    files.append((f"{dist}/WHEEL", b"Wheel-Version: 1.0\nGenerator: labkit.lite\n"
                  b"Root-Is-Purelib: true\nTag: py3-none-any\n"))
    record = [f"{name},sha256={_b64(data)},{len(data)}" for name, data in files]
    files.append((f"{dist}/RECORD", ("\n".join([*record, f"{dist}/RECORD,,"]) + "\n").encode()))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as whl:
        for name, data in files:
            info = zipfile.ZipInfo(name, date_time=(2020, 2, 2, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            whl.writestr(info, data)
    return path


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def rewrite_lock(lock: dict, wheels: list[Path], version: str) -> dict:
    """Pyodide's lock with each shipped wheel's entry naming its file and sha256, the site's
    own entries added (EXTRA_ENTRIES), and every other entry pointing at Pyodide's CDN."""
    shipped = {normalize(w.name.split("-")[0]): w for w in wheels}
    packages = lock["packages"]
    for key, entry in packages.items():
        whl = shipped.pop(normalize(key), None)
        if whl is not None:
            if whl.name.split("-")[1] != entry["version"]:
                raise LabkitError(f"{whl.name} is not {key} {entry['version']}, the version "
                                  "Pyodide's lock has (lite/wheels.txt must follow it)")
            entry["file_name"], entry["sha256"] = whl.name, _sha256(whl)
        elif "://" not in entry["file_name"]:
            entry["file_name"] = CDN.format(version=version) + entry["file_name"]
    for name, whl in shipped.items():
        if name not in EXTRA_ENTRIES:
            raise LabkitError(f"{whl.name} is neither in Pyodide's lock nor one of the site's "
                              f"own packages ({', '.join(EXTRA_ENTRIES)})")
        imports, depends = EXTRA_ENTRIES[name]
        packages[name] = {"name": name, "version": whl.name.split("-")[1],
                          "file_name": whl.name, "install_dir": "site",
                          "sha256": _sha256(whl), "package_type": "package",
                          "imports": imports, "depends": depends, "unvendored_tests": False}
    return lock


def course_notebooks(notebooks: Path) -> list[Path]:
    """The course's notebooks as the checkout holds them now: notebooks/*.ipynb, and each
    translation's folder of them (notebooks/ja/*.ipynb, once it exists)."""
    found = sorted(notebooks.glob("*.ipynb")) + sorted(notebooks.glob("*/*.ipynb"))
    return [p for p in found if ".ipynb_checkpoints" not in p.parts]


def _check_out(out: Path) -> None:
    """`out` may be replaced only when empty or a site built here (never other files)."""
    if not out.exists():
        return
    if not out.is_dir():
        raise LabkitError(f"{out} is a file, not a folder for the site")
    if any(out.iterdir()) and not (out / SITE_MARK).is_file():
        raise LabkitError(f"{out} holds files that are not a labkit site; give an empty or "
                          "new folder (--out DIR)")


def build(out: Path = DEFAULT_OUT, notebooks: Path = REPO / "notebooks",
          log: Log = print, tuning: Tuning = Tuning()) -> Site:
    """Build the site into `out` (replaced if a site built here); nothing it serves is
    fetched at run time from outside it on the sim's path."""
    out = out.resolve()
    _check_out(out)
    pages = course_notebooks(notebooks)
    if not pages:
        raise LabkitError(f"no notebooks in {notebooks}")
    pyodide = ensure_pyodide(log)
    version = json.loads((pyodide / "package.json").read_text())["version"]
    wheels = [*ensure_wheels(log), *(kernel_wheels() if tuning.kernel_in_lock else []),
              labkit_wheel(CACHE / "labkit", notebooks, pages)]
    if tuning.bytecode:
        wheels = precompiled(wheels, log)
    with tempfile.TemporaryDirectory(prefix="labkit-lite-") as tmp:
        lite_dir = Path(tmp) / "lite"
        static = lite_dir / "static" / "pyodide"
        static.mkdir(parents=True)
        for name in PYODIDE_FILES:
            shutil.copy2(pyodide / name, static / name)
        for whl in wheels:
            shutil.copy2(whl, static / whl.name)
        lock = rewrite_lock(json.loads((pyodide / "pyodide-lock.json").read_text()), wheels,
                            version)
        (static / "pyodide-lock.json").write_text(json.dumps(lock))
        contents = Path(tmp) / "files"
        for page in pages:
            dest = contents / page.relative_to(notebooks)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(page, dest)
        config = {"jupyter-lite-schema-version": 0, "jupyter-config-data": {
            "appName": "labkit", "exposeAppInBrowser": True,
            "litePluginSettings": {KERNEL_SETTINGS: {
                "disablePyPIFallback": True,
                # loaded with Pyodide, in parallel, not one piplite.install after another;
                # -P: no '' (the kernel's folder, /drive, the browser's storage) first on
                # sys.path, where every import at start would ask the storage for it
                "loadPyodideOptions": {"packages": list(PRELOAD), "args": ["-P"]}
                if tuning.kernel_in_lock else {"packages": list(PRELOAD_UNTUNED)}}}}}
        (lite_dir / "jupyter-lite.json").write_text(json.dumps(config, indent=1))
        if tuning.lean_extensions:  # only EXTENSIONS, not every one of the environment
            (lite_dir / "jupyter_lite_config.json").write_text(json.dumps({"LiteBuildConfig": {
                "ignore_sys_prefix": ["federated_extensions"],
                "federated_extensions": [str(labextension(name)) for name in EXTENSIONS]}}))
        staged = Path(tmp) / "site"
        log(f"jupyter lite build: {len(pages)} notebooks, {len(wheels)} wheels")
        env = dict(os.environ, JUPYTERLITE_NO_LIBARCHIVE="1")
        cmd = [str(Path(sys.executable).with_name("jupyter-lite")), "build",
               "--lite-dir", str(lite_dir), "--contents", str(contents),
               "--output-dir", str(staged), "--no-sourcemaps", "--apps", "lab"]
        done = subprocess.run(cmd, cwd=lite_dir, env=env, capture_output=True, text=True,
                              check=False)
        if done.returncode != 0:
            tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-20:])
            raise LabkitError(f"jupyter lite build failed (status {done.returncode}):\n{tail}")
        (staged / SITE_MARK).write_text(json.dumps(
            {"pyodide": version, "notebooks": [p.relative_to(notebooks).as_posix()
                                               for p in pages],
             "wheels": [w.name for w in wheels]}, indent=1) + "\n")
        if out.exists():
            shutil.rmtree(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(staged, out)
    return Site(out, _size(out), _size(out / "static" / "pyodide"),
                [p.relative_to(notebooks).as_posix() for p in pages], [w.name for w in wheels])


def _size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())

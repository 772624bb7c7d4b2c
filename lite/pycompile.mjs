// Precompiling the site's wheels for Pyodide's own Python (node lite/pycompile.mjs IN OUT):
// each wheel in IN is written to OUT with, beside every module, the bytecode the browser's
// Python would otherwise compile at each page load (__pycache__/*.cpython-3XX.pyc, PEP 552's
// unchecked-hash form: valid whatever the unpacked files' times). Pyodide itself, from
// lite/node_modules, does the compiling, so the bytecode is exactly the browser's version.
import { loadPyodide } from "pyodide";
import path from "node:path";

const [inDir, outDir] = process.argv.slice(2).map((p) => path.resolve(p));
const pyodide = await loadPyodide({ stdout: console.log, stderr: console.error });
const { FS } = pyodide;
for (const [at, host] of [["/in", inDir], ["/out", outDir]]) {
  FS.mkdirTree(at);
  FS.mount(FS.filesystems.NODEFS, { root: host }, at);
}
await pyodide.runPythonAsync(`
import base64, hashlib, importlib.util, io, os, sysconfig, zipfile
from importlib._bootstrap_external import _code_to_hash_pyc

SITE = sysconfig.get_paths()["purelib"]


def digest(data):
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()

for name in sorted(os.listdir("/in")):
    if not name.endswith(".whl"):
        continue
    with zipfile.ZipFile(f"/in/{name}") as src:
        entries = [(info, src.read(info)) for info in src.infolist()]
    added = []
    for info, data in entries:
        if info.filename.endswith(".py") and ".dist-info/" not in info.filename:
            where = f"{SITE}/{info.filename}"  # where the browser installs it
            try:
                code = compile(data, where, "exec", dont_inherit=True)
            except SyntaxError:  # a file never imported (a template, a py2 example): as it is
                continue
            pyc = importlib.util.cache_from_source(info.filename)
            added.append((pyc, bytes(_code_to_hash_pyc(code, importlib.util.source_hash(data),
                                                       checked=False))))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info, data in entries:
            if info.filename.endswith(".dist-info/RECORD"):
                record, rec_info = data, info
                continue
            dst.writestr(info, data)
        for pyc, data in added:
            dst.writestr(zipfile.ZipInfo(pyc, date_time=(2020, 2, 2, 0, 0, 0)), data,
                         zipfile.ZIP_DEFLATED)
        lines = record.decode().splitlines()
        lines += [f"{pyc},sha256={digest(data)},{len(data)}" for pyc, data in added]
        dst.writestr(rec_info, ("\\n".join(lines) + "\\n").encode())
    with open(f"/out/{name}", "wb") as f:
        f.write(out.getvalue())
    print(f"{name}: {len(added)} modules compiled")
`);

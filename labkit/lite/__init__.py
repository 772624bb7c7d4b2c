"""The course in the browser: a static JupyterLite site whose Pyodide kernel runs labkit's sim.

    ./lab lite                 # build the site into lite/site (git-ignored)
    ./lab lite --out DIR       # ... into DIR, ready for any static host (GitHub Pages)
    ./lab lite --serve         # build, then serve it on http://127.0.0.1:8800

build.py makes the site (Pyodide from npm, wheels from PyPI, precompiled by Pyodide itself
with lite/pycompile.mjs, the lock rewritten for them), serve.py serves a built site on
localhost, command.py is the command line; browser.py is what labkit needs inside Pyodide,
reset.py is labkit.reset_notebook (a lesson's course version back, there and in a checkout).
"""

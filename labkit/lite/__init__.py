"""The course in the browser: a static JupyterLite site whose Pyodide kernel runs labkit's sim.

    ./lab lite                 # build the site into lite/site (git-ignored)
    ./lab lite --out DIR       # ... into DIR, ready for any static host (GitHub Pages)
    ./lab lite --serve         # build, then serve it on http://127.0.0.1:8800

build.py makes the site (Pyodide from npm, wheels from PyPI, the lock rewritten for them),
serve.py serves a built site on localhost, command.py is the command line.
"""

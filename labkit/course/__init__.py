"""The course: lessons written as MyST Markdown under lessons/, built into notebooks.

    sources.py    reads a lesson (jupytext) and checks its exercise markup
    versions.py   makes the learner, instructor and solution versions of a lesson's notebook
    build.py      runs a version on the sim and writes it; compares committed notebooks
    translations.py  lessons/ja/: which English cell each translated cell follows, and stale ones
    command.py    `labkit course build` and `labkit course build --check`

lessons/README.md says how a lesson is written.
"""

"""JupyterHub's configuration for a class on one machine: `labkit classroom ROSTER` starts
the hub with this file and LABKIT_CLASS (the class's JSON it wrote); the settings themselves
are labkit.classroom.hub.configure's."""

import os

from labkit.classroom.hub import configure

configure(c, os.environ["LABKIT_CLASS"])  # type: ignore[name-defined] # noqa: F821

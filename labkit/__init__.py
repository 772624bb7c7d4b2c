"""labkit: learn Linux network bonding hands-on, on a real kernel or a faithful simulator.

    with labkit.Lab() as lab:          # the walkthrough's lab: server, outside, gw, switch
        lab.sh("ip link add bond0 type bond mode active-backup miimon 100")
"""

# first: in the browser's Pyodide only, what Emscripten lacks (labkit/lite/browser.py)
from labkit.lite import browser as _browser  # noqa: F401

# isort: split
from labkit.errors import (
    KernelError,
    LabkitError,
    ScenarioError,
    TopologyError,
    UsageError,
    UsageTypeError,
    UsageValueError,
)
from labkit.lab import Lab, current_lab
from labkit.model.topology import Topology, load_topology, preset_names

__version__ = "0.1.0"
__all__ = [
           "KernelError",
           "Lab",
           "LabkitError",
           "ScenarioError",
           "Topology",
           "TopologyError",
           "UsageError",
           "UsageTypeError",
           "UsageValueError",
           "__version__",
           "current_lab",
           "load_ipython_extension",
           "load_topology",
           "preset_names",
           "reset_notebook",
]


def load_ipython_extension(ipython: object) -> None:
    """`%load_ext labkit`: the %lab and %%lab magics."""
    from labkit.notebook.magics import register

    register(ipython)


def reset_notebook(*names: str) -> list:
    """A lesson's course version back, yours kept in backups/ (labkit.lite.reset: in the
    browser's JupyterLite too, where there is no ./lab reset)."""
    from labkit.lite.reset import reset_notebook as reset

    return reset(*names)


def _register_in_running_ipython() -> None:
    """Importing labkit in a notebook makes %lab available without %load_ext."""
    import sys

    if "IPython" not in sys.modules:
        return
    from IPython import get_ipython

    shell = get_ipython()
    if shell is not None:
        load_ipython_extension(shell)


_register_in_running_ipython()

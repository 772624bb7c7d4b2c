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
    """IPython's extension entry point (`%load_ext labkit`): the %lab, %%lab and %%predict
    magics. The only place labkit registers magics: none of its modules does on import."""
    from labkit.notebook.magics import register

    register(ipython)


def reset_notebook(*names: str) -> list:
    """A lesson's course version back, yours kept in backups/ (labkit.lite.reset: in the
    browser's JupyterLite too, where there is no ./lab reset)."""
    from labkit.lite.reset import reset_notebook as reset

    return reset(*names)


def _load_extension_in_ipython() -> None:
    """Load labkit as IPython's extension when the package is imported in a running IPython.

    The lessons' first cell is `import labkit` and the next ones use %%lab, with no
    `%load_ext labkit` between (a learner should not have to know about extensions), so the
    package's import does what `%load_ext labkit` would, once: through IPython's extension
    manager, which records it, so a later `%load_ext labkit` answers "already loaded" and
    `%reload_ext labkit` works. Outside a running IPython (scripts, ./lab, tests that make
    their own shell) nothing is loaded; the magics' modules themselves register nothing.
    """
    import sys

    if "IPython" not in sys.modules:  # a notebook kernel has imported it long before us
        return
    ipython = sys.modules["IPython"].get_ipython()
    if ipython is None:
        return
    ipython.extension_manager.load_extension(__name__)


_load_extension_in_ipython()

"""labkit: learn Linux network bonding hands-on, on a real kernel or a faithful simulator.

    with labkit.Lab() as lab:          # the walkthrough's lab: server, outside, gw, switch
        lab.sh("ip link add bond0 type bond mode active-backup miimon 100")
"""

from labkit.errors import KernelError, LabkitError, ScenarioError, TopologyError
from labkit.lab import Lab
from labkit.model.topology import Topology, load_topology, preset_names

__version__ = "0.1.0"
__all__ = [
           "KernelError",
           "Lab",
           "LabkitError",
           "ScenarioError",
           "Topology",
           "TopologyError",
           "__version__",
           "load_topology",
           "preset_names",
]

"""labkit's nmcli: the grammar, output and messages of NetworkManager's command-line client,
talking to labkit's daemon (main.py parses and dispatches, connection.py, device.py and
general.py hold the commands, values.py the property syntax, output.py the printer)."""

from labkit.nm.nmcli.main import Call, Nmcli

__all__ = ["Call", "Nmcli"]

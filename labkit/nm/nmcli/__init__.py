"""labkit's nmcli: the grammar, output and messages of NetworkManager's command-line client,
talking to labkit's daemon (main.py parses and dispatches, connection.py, device.py and
general.py hold the commands, context.py what they share, values.py the property syntax,
output.py the printer). The package imports none of them, so the daemon's side (nm/states.py
renders values) can use values.py without loading the commands, which use the daemon."""

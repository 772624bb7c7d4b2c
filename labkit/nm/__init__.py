"""labkit's NetworkManager: settings as data, profiles on disk, the daemon, nmcli's grammar and
output. Settings describe, profiles hold values, storage keeps files, the daemon applies them to
the kernel through the engine, nmcli talks to the daemon as the real one talks over D-Bus.
"""

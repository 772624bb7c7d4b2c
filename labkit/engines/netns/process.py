"""Real programs run inside a lab namespace.

`nsenter --net` enters the namespace and runs the program: `ip`, `ping`, `bridge` and
`ifconfig` talk netlink and read /proc/net, which follow the network namespace. (`ip netns
exec` would also remount /sys for the child, which these programs do not read, at the cost of
a mount namespace per command: it is the fallback where util-linux's nsenter is missing.)
Output goes to temporary files, not pipes, so a long background ping never blocks on a full
pipe while the lab does something else.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile

# what a root terminal on the lab host gives its programs (the recordings used the same)
ENV = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C",
       "LC_ALL": "C", "TERM": "dumb", "HOME": "/root"}


def enter(netns: str) -> list[str]:
    """The command prefix that runs a program inside the named namespace."""
    if shutil.which("nsenter"):
        return ["nsenter", f"--net=/run/netns/{netns}", "--"]
    return ["ip", "netns", "exec", netns]


class RealProcess:
    """One program running in a lab namespace."""

    def __init__(self, netns: str, argv: list[str], stdin: str = "") -> None:
        self.argv = argv
        self._out = tempfile.TemporaryFile()
        self._err = tempfile.TemporaryFile()
        stdin_file = tempfile.TemporaryFile()
        stdin_file.write(stdin.encode())
        stdin_file.seek(0)
        try:
            self._proc = subprocess.Popen(
                [*enter(netns), *argv], stdin=stdin_file, stdout=self._out,
                stderr=self._err, env=ENV, cwd="/", start_new_session=True)
        finally:
            stdin_file.close()
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            rc = self._proc.poll()
            if rc is not None:
                self.returncode = 128 - rc if rc < 0 else rc
        return self.returncode

    def kill(self) -> None:
        """SIGKILL the program (and anything it started)."""
        if self.poll() is None:
            try:
                os.killpg(self._proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self._proc.wait()
            self.poll()

    def output(self) -> tuple[str, str]:
        """What the program wrote to stdout and stderr (once it has ended)."""
        texts = []
        for f in (self._out, self._err):
            f.seek(0)
            texts.append(f.read().decode("utf-8", "replace"))
            f.close()
        return texts[0], texts[1]

"""The vm engine: a real Linux kernel with the bonding driver, booted in a micro-VM.

virtme-ng boots the machine's Debian kernel image with the host's root filesystem shared
read-only (so labkit, its venv and the checkout are all there), loads bonding, and runs a
labkit command inside with the netns engine: the same lab, labkit's NetworkManager included,
on a kernel that can make bonds. The VM lives for one command (a replay, a test session, a
notebook run) and leaves nothing behind. KVM makes the boot take a second or two; without it
(LABKIT_KVM=0, or where /dev/kvm is missing) qemu emulates the CPU and a boot takes ~20 s.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from labkit.engines import records
from labkit.errors import EngineUnavailable
from labkit.model.flavours import RECORDED_KERNEL

BOOT_MARK = "labkit-vm: booted"
MEMORY = "1G"


def kernel_images() -> list[Path]:
    """Kernel images under /boot whose modules include the bonding driver, the one to boot
    last: the recordings' kernel (RECORDED_KERNEL) where it is here, else the newest."""
    out = []
    for image in sorted(Path("/boot").glob("vmlinuz-*")):
        release = image.name.removeprefix("vmlinuz-")
        if (Path("/lib/modules") / release / "kernel/drivers/net/bonding").is_dir():
            out.append(image)
    return sorted(out, key=lambda image: image.name == f"vmlinuz-{RECORDED_KERNEL}")


def vng_program() -> str | None:
    """virtme-ng's `vng`: on PATH, or beside this Python (a venv's bin/)."""
    beside = Path(sys.executable).with_name("vng")
    return shutil.which("vng") or (str(beside) if beside.exists() else None)


def use_kvm() -> bool:
    """KVM only when asked for: on some machines /dev/kvm exists but a guest hangs."""
    return os.environ.get("LABKIT_KVM") == "1" and os.access("/dev/kvm", os.R_OK | os.W_OK)


def missing() -> list[str]:
    """What this machine lacks to boot the VM (empty when it can)."""
    problems = []
    if not kernel_images():
        problems.append("a kernel image with the bonding module (apt install linux-image-amd64)")
    if shutil.which("qemu-system-x86_64") is None:
        problems.append("qemu (apt install qemu-system-x86)")
    if vng_program() is None:
        problems.append("virtme-ng (pip install virtme-ng)")
    return problems


def guest_script(argv: Sequence[str], cwd: str, env: dict[str, str]) -> str:
    """What the VM's shell runs: the drivers, a mark on stderr, then the command."""
    exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in sorted(env.items()))
    return (f"modprobe bonding max_bonds=0 && modprobe veth && modprobe bridge; "
            f"echo '{BOOT_MARK}' >&2; cd {shlex.quote(cwd)} && "
            f"exec env {exports} {shlex.join(argv)}")


def vng_command(script: str, rwdirs: Sequence[str] = ()) -> list[str]:
    """The host's command line that boots the VM and runs the shell script file `script`
    (in one of `rwdirs`: virtme-ng passes --exec on the kernel command line, which holds
    2 kB, so the command itself travels as a file)."""
    images = kernel_images()
    vng = vng_program()
    if not images or vng is None:
        raise EngineUnavailable("the vm engine needs " + "; ".join(missing()))
    cmd = [vng, "--run", str(images[-1]), "--memory", MEMORY]
    if not use_kvm():
        cmd.append("--disable-kvm")
    for d in rwdirs:
        cmd += ["--rwdir", d]
    return [*cmd, "--exec", f"sh {shlex.quote(script)}"]


def run(argv: Sequence[str], *, cwd: str | None = None, env: dict[str, str] | None = None,
        rwdirs: Sequence[str] = (), progress: Callable[[str], None] | None = None,
        stdout: int | None = None, timeout: float | None = None) -> int:
    """Boot the VM, run `argv` inside with the netns engine, return its exit status.

    The command's stdout is this process's (or `stdout`); its stderr passes through once the
    VM has booted; `progress` hears how the boot goes meanwhile. After `timeout` seconds the VM
    is stopped (status 124, as timeout(1) reports).
    """
    guest_env = {"LABKIT_ENGINE": "netns", "LABKIT_IN_VM": "1", "LANG": "C.UTF-8",
                 "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                 "HOME": "/root", **(env or {})}
    # a state record (lab id "vm"), as a lab's: a kill -9 of this process leaves virtme-ng's
    # session and the scratch directory to `labkit cleanup`
    record = records.fresh("vm", exclusive=False)
    try:
        record.save()
        scratch = str(record.make_workdir("labkit-vm-"))
        script = Path(scratch) / "run.sh"
        script.write_text(guest_script(argv, cwd or os.getcwd(), guest_env) + "\n")
        cmd = vng_command(str(script), rwdirs=[scratch, *rwdirs])
        return _boot(cmd, argv, progress, stdout, timeout, record)
    finally:
        records.remove(record)


def _boot(cmd: list[str], argv: Sequence[str], progress: Callable[[str], None] | None,
          stdout: int | None, timeout: float | None, record: records.Record) -> int:
    """Run virtme-ng's command line `cmd`, relaying progress and the guest's stderr."""
    host_env = dict(os.environ)  # vng calls virtme-run by name: its bin/ goes on PATH
    host_env["PATH"] = f"{Path(cmd[0]).parent}:{os.environ.get('PATH', '/usr/bin:/bin')}"
    say = progress or (lambda _text: None)
    release = Path(cmd[2]).name.removeprefix("vmlinuz-")
    say(f"booting Linux {release} in a micro-VM (virtme-ng, "
        f"{'KVM' if use_kvm() else 'no KVM: about 20 s'})")
    started = time.monotonic()
    booted = threading.Event()
    early: list[str] = []  # what virtme-ng said before the guest ran: shown if it fails
    # the guest reads no input: its stdin is /dev/null whatever ours is
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=stdout,
                            stderr=subprocess.PIPE, env=host_env, text=True, errors="replace",
                            start_new_session=True)  # qemu is in vng's session: one to end
    record.note_process(proc.pid, session=True)

    def relay() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            if not booted.is_set() and line.strip() == BOOT_MARK:
                booted.set()
                say(f"booted in {time.monotonic() - started:.0f} s; running "
                    f"{shlex.join(argv)}")
                continue
            if booted.is_set():
                sys.stderr.write(line)
                sys.stderr.flush()
            else:
                early.append(line)
                if os.environ.get("LABKIT_VM_DEBUG"):
                    sys.stderr.write(f"[virtme-ng] {line}")

    reader = threading.Thread(target=relay, daemon=True)
    reader.start()
    try:
        while proc.poll() is None:
            if timeout is not None and time.monotonic() - started > timeout:
                say(f"stopping the VM after {timeout:.0f} s")
                proc.kill()
                proc.wait()
                return 124
            if not booted.wait(5.0) and proc.poll() is None:
                say(f"still booting ({time.monotonic() - started:.0f} s)")
            elif booted.is_set():
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(timeout=1.0)
    except BaseException:
        proc.kill()  # Ctrl-C: the VM goes, and everything in it
        proc.wait()
        raise
    reader.join(timeout=5)
    if not booted.is_set():
        tail = "".join(early[-10:]).strip()
        raise EngineUnavailable(f"the VM did not boot (virtme-ng exited with {proc.returncode})"
                                + (f":\n{tail}" if tail else ""))
    return proc.returncode

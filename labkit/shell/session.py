"""The lab shell: runs command lines on a host as bash would, with labkit's programs.

A line is parsed (parser.py), each simple command is looked up among bash's builtins, the
programs the engine runs for real, and labkit's own programs (programs/), in that order; an
unknown name gets bash's `command not found` and status 127. Programs never raise to the user:
an unexpected exception becomes a one-line error and status 1, so no traceback reaches a learner.
"""

from __future__ import annotations

import traceback
from collections.abc import Generator, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from labkit import files as fs
from labkit.errors import KernelError
from labkit.model.flavours import NM142_FLAVOUR
from labkit.shell import variables
from labkit.shell.builtins import BUILTINS
from labkit.shell.parser import (
    AndOr,
    Pipeline,
    Redirect,
    ShellSyntaxError,
    SimpleCommand,
    Word,
    parse,
)
from labkit.shell.program import Invocation, Pending, Program, strerror
from labkit.shell.programs import PROGRAMS, REAL_PROGRAM
from labkit.shell.result import ShellResult

if TYPE_CHECKING:
    from labkit.engines.base import Engine
    from labkit.system.host import HostSystem


class LineAborted(Exception):
    """An expansion error: bash writes `text` and runs nothing more of the line."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


@dataclass
class Job:
    """A background job of one host: the pipeline's continuation and what it printed."""

    host: str
    cmd: str
    steps: Generator[Pending, None, tuple[int, str]]
    output: str = ""
    status: int | None = None
    running: Pending | None = None  # the program it is running now
    finished: bool = False

    def start(self) -> None:
        """Run until the job's first program is under way (bash starts `CMD &` at once)."""
        try:
            self.running = next(self.steps)
        except StopIteration as stop:
            self.status, self.output = stop.value
            self.finished = True


class Shell:
    """Command lines for every host of one lab."""

    def __init__(self, engine: Engine, files: fs.LabFiles,
                 programs: Mapping[str, Program] | None = None,
                 systems: Mapping[str, HostSystem] | None = None) -> None:
        self.engine = engine
        self.files = files
        self.systems: dict[str, HostSystem] = dict(systems or {})
        self.programs: dict[str, Program] = dict(PROGRAMS if programs is None else programs)
        self.jobs: list[Job] = []
        self.last_status: dict[str, int] = {}
        self.variables: dict[str, variables.Variables] = {}  # each host's login shell
        self._captures: list[list[str]] = []  # stdout of the command substitutions running

    def vars(self, host: str) -> variables.Variables:
        """The shell variables of `host`'s shell (a root login shell's, at first)."""
        if host not in self.variables:
            system = self.systems.get(host)
            self.variables[host] = variables.login(
                host, hostname=system.hostname if system and system.hostname else host,
                locale=system.locale if system else "en",
                flavour=system.flavour if system else NM142_FLAVOUR)  # a bare Debian 12
        return self.variables[host]

    # -- entry points -----------------------------------------------------------------------
    def run(self, line: str, host: str = "server") -> ShellResult:
        """Run one command line on `host` to its end (background jobs stay running)."""
        line = typed(line)
        self.engine.clock.settle()  # catch up with what happened while nobody typed
        text, status = self._drive(self._line(line, host), wait=True)
        self.engine.clock.settle()  # the daemons handle what the command set off
        self.last_status[host] = status
        return ShellResult(host=host, cmd=shown(line), stdout=shown(text), returncode=status)

    def wait_jobs(self, host: str) -> str:
        """`wait`: finish the host's background jobs; their output, in start order."""
        out = []
        for job in [j for j in self.jobs if j.host == host]:
            if not job.finished:
                job.output, job.status = self._drive(job.steps, wait=True, first=job.running)
            out.append(job.output)
            self.jobs.remove(job)
        return "".join(out)

    def pending_hosts(self) -> list[str]:
        """Hosts that still have background jobs."""
        return sorted({j.host for j in self.jobs})

    # -- driving generators -----------------------------------------------------------------
    @staticmethod
    def _drive(gen: Generator[Pending, None, tuple[int, str]], wait: bool,
               first: Pending | None = None) -> tuple[str, int]:
        try:
            pending = first if first is not None else next(gen)
            while True:
                if wait:
                    pending.wait()
                pending = gen.send(None)
        except StopIteration as stop:
            status, text = stop.value
            return text, status

    # -- lines, lists, pipelines ------------------------------------------------------------
    def _line(self, line: str, host: str) -> Generator[Pending, None, tuple[int, str]]:
        try:
            lists = parse(line)
        except ShellSyntaxError as exc:
            return 2, f"{exc}\n"
        text = ""
        status = self.last_status.get(host, 0)
        for andor in lists:
            if andor.background:
                job = Job(host=host, cmd=line, steps=self._andor(andor, host, track=False))
                job.start()
                self.jobs.append(job)
                status = 0
                self.last_status[host] = 0
                continue
            try:
                st, out = yield from self._andor(andor, host)
            except LineAborted as abort:
                self.last_status[host] = 1
                return 1, text + abort.text
            text += out
            status = st
        return status, text

    def _andor(self, andor: AndOr, host: str, track: bool = True
               ) -> Generator[Pending, None, tuple[int, str]]:
        """One list; with `track`, each pipeline's status becomes `$?` as it ends."""
        text = ""
        status = 0
        for op, pipeline in andor.parts:
            if (op == "&&" and status != 0) or (op == "||" and status == 0):
                continue
            status, out = yield from self._pipeline(pipeline, host)
            if track:
                self.last_status[host] = status
            text += out
        return status, text

    def _pipeline(self, pipe: Pipeline, host: str) -> Generator[Pending, None, tuple[int, str]]:
        stdin = ""
        terminal = ""
        status = 0
        for index, cmd in enumerate(pipe.commands):
            last = index == len(pipe.commands) - 1
            status, to_next, to_terminal = yield from self._simple(cmd, host, stdin, last)
            terminal += to_terminal
            stdin = to_next
        return status, terminal

    def _simple(self, cmd: SimpleCommand, host: str, stdin: str, last: bool
                ) -> Generator[Pending, None, tuple[int, str, str]]:
        """Run one command; returns (status, stdout for the next stage, text for the terminal)."""
        shell_vars = self.vars(host)
        said: list[str] = []  # what command substitutions wrote to the terminal
        subst_status: list[int] = []
        argv: list[str] = []
        targets_of: dict[int, str] = {}
        try:
            for word in cmd.argv:
                argv += self._expand(word, host, said, subst_status)
            for index, r in enumerate(cmd.redirects):
                if r.word is None:
                    continue
                fields = self._expand(r.word, host, said, subst_status)
                if len(fields) != 1:
                    return 1, "", "".join(said) + f"bash: {r.target}: ambiguous redirect\n"
                targets_of[index] = fields[0]
            values = [(name, "".join(self._expand(value, host, said, subst_status, split=False)))
                      for name, value in cmd.assigns]
        except variables.ExpansionError as exc:  # bash gives up the rest of the line
            raise LineAborted("".join(said) + f"{exc}\n") from exc
        for name, _ in values:
            if shell_vars.is_readonly(name):
                return 1, "", "".join(said) + f"bash: {name}: readonly variable\n"
        if not argv:
            for name, value in values:
                shell_vars.set(name, value)
        redirects = [replace(r, target=targets_of.get(i, r.target))
                     for i, r in enumerate(cmd.redirects)]
        status, to_next, to_terminal = yield from self._run_simple(
            argv, redirects, host, stdin, last, subst_status[-1] if subst_status else 0)
        return status, to_next, "".join(said) + to_terminal

    def _expand(self, word: Word, host: str, said: list[str], statuses: list[int],
                split: bool = True) -> list[str]:
        """The fields of one word: parameters and command substitutions made, and unquoted
        expansions split at blanks (bash's IFS default)."""
        def substitute(command: str) -> str:
            self._captures.append([])
            try:
                text, status = self._drive(self._line(command, host), wait=True)
            finally:
                captured = "".join(self._captures.pop())
            said.append(text)
            statuses.append(status)
            return captured.rstrip("\n")

        return variables.expand(word, self.vars(host), self.last_status.get(host, 0),
                                substitute, split=split)

    def _run_simple(self, argv: list[str], redirects: list[Redirect], host: str, stdin: str,
                    last: bool, assigned_status: int
                    ) -> Generator[Pending, None, tuple[int, str, str]]:
        """Run one expanded command: its redirections, then the program (none: the status of
        the last command substitution, as bash gives for `x=$(false)`)."""
        # input redirection
        for r in redirects:
            if r.op == "<":
                try:
                    stdin = self.read_path(host, r.target)
                except KernelError as exc:
                    return 1, "", f"bash: {r.target}: {exc.strerror}\n"
                except OSError as exc:
                    return 1, "", f"bash: {r.target}: {strerror(exc)}\n"
        # output redirections are opened before the program runs, as bash does
        targets: dict[int, str | None] = {}
        merge_err = False
        for r in redirects:
            if r.op in (">", ">>"):
                path = fs.normalize(r.target)
                if path == "/dev/null":
                    targets[r.fd] = None
                    continue
                why = self._can_open_for_write(host, path)
                if why:
                    return 1, "", f"bash: {r.target}: {why}\n"
                targets[r.fd] = path + ("\0append" if r.op == ">>" else "")
            elif r.op == ">&":
                if r.fd == 2 and r.target == "1":
                    merge_err = True
                elif r.fd == 1 and r.target == "2":
                    targets[1] = "\0stderr"
        if not argv:
            for target in targets.values():
                if target and not target.startswith("\0"):
                    self._write_redirect(host, target, "", "bash")
            return assigned_status, "", ""
        inv = Invocation(argv=argv, stdin=stdin, host=host, shell=self)
        status = yield from self._exec(inv)
        # route output
        to_next, to_terminal, to_file = "", "", {1: "", 2: ""}
        for fd, text in inv.io.chunks:
            if fd == 2 and merge_err:
                fd = 1
            target = targets.get(fd, "")
            if target == "\0stderr":
                to_terminal += text
            elif target is None:
                continue
            elif target:
                to_file[fd] += text
            elif fd == 1 and not last:
                to_next += text
            elif fd == 1 and self._captures:  # the last stage of a $(command)
                self._captures[-1].append(text)
            else:
                to_terminal += text
        for fd, target in targets.items():
            if target and not target.startswith("\0"):
                err = self._write_redirect(host, target, to_file[fd], argv[0])
                if err:
                    to_terminal += err
                    status = 1
        return status, to_next, to_terminal

    def _exec(self, inv: Invocation) -> Generator[Pending, None, int]:
        name = inv.argv[0]
        program = self.programs.get(name) or BUILTINS.get(name)
        if name in self.engine.real_programs:
            program = REAL_PROGRAM
        system = self.systems.get(inv.host) if self.systems else None
        if program is not None and system is not None and not system.has_program(name):
            program = None  # a program of a package this machine has not got
        if program is None:
            inv.err(f"bash: {name}: command not found\n")
            return 127
        try:
            result = program(inv)
            if isinstance(result, int):
                return result
            yield result
            return result.finish()
        except KernelError as exc:
            inv.err(f"{name}: {exc.strerror}\n")
            return 1
        except Exception as exc:  # a bug in labkit: one line for the learner, no traceback
            inv.err(f"{name}: internal error in labkit's {name}: {exc!r}\n")
            self.last_traceback = traceback.format_exc()
            return 1

    # -- paths ------------------------------------------------------------------------------
    def read_path(self, host: str, path: str) -> str:
        """Read a file of `host`: /proc and /sys from the engine, the rest from the lab files."""
        fs.check_name(path)
        path = fs.normalize(path)
        if path == "/dev/null":  # every machine has it, whatever the engine serves
            return ""
        if fs.is_pseudo(path):
            return self.engine.read_file(host, path)
        return self.files.read(host, path)

    def is_dir(self, host: str, path: str) -> bool:
        try:
            self.check_dir(host, path)
        except (OSError, KernelError):
            return False
        return True

    def check_dir(self, host: str, path: str) -> None:
        """Return if `path` is a directory of `host`, else raise the OSError chdir(2) gives."""
        fs.check_name(path)
        normal = fs.normalize(path)
        if fs.is_pseudo(normal):
            self.engine.list_dir(host, normal)
            return
        self.files.listdir(host, normal)

    def list_dir(self, host: str, path: str) -> list[str]:
        fs.check_name(path)
        path = fs.normalize(path)
        if fs.is_pseudo(path):
            return self.engine.list_dir(host, path)
        return self.files.listdir(host, path)

    def _can_open_for_write(self, host: str, path: str) -> str | None:
        """bash's open(2) of a redirection target: None when it would succeed, else why not."""
        try:
            fs.check_name(path)
        except OSError as exc:
            return strerror(exc)
        if fs.is_pseudo(path):
            if self.is_dir(host, path):
                return "Is a directory"
            try:
                self.engine.read_file(host, path)
            except FileNotFoundError:
                return "No such file or directory"
            except IsADirectoryError:
                return "Is a directory"
            except (OSError, KernelError):
                pass
            return None
        try:
            self.files.check_writable(host, path)
        except OSError as exc:
            return strerror(exc)
        return None

    def _write_redirect(self, host: str, target: str, text: str, program: str) -> str:
        append = target.endswith("\0append")
        path = target.removesuffix("\0append")
        try:
            if fs.is_pseudo(path):
                self.engine.write_file(host, path, text)
            else:
                self.files.write(host, path, text, append=append)
        except KernelError as exc:
            who = f"bash: {program}" if program == "echo" else program
            return f"{who}: write error: {exc.strerror}\n"
        except PermissionError:
            return f"bash: {path}: Permission denied\n"
        except OSError as exc:
            return f"bash: {path}: {strerror(exc)}\n"
        return ""


def typed(line: str) -> str:
    """A command line as a terminal sends it: bytes. NUL cannot be typed (bash never sees
    one); a surrogate that stands for a byte (Python's surrogateescape, U+DC80-U+DCFF) is that
    byte, and bytes that spell UTF-8 are that character; any other surrogate is no character a
    terminal could send, so it arrives as U+FFFD."""
    line = line.replace("\0", "")
    line = "".join("\ufffd" if "\ud800" <= c <= "\udfff" and not "\udc80" <= c <= "\udcff"
                   else c for c in line)
    return line.encode("utf-8", "surrogateescape").decode("utf-8", "surrogateescape")


def shown(text: str) -> str:
    """Text as a UTF-8 terminal shows it: bytes that are not UTF-8 become U+FFFD."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")

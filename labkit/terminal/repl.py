"""The interactive loop of `labkit shell`: prompt, readline history and completion, bash's
Ctrl-C and Ctrl-D, and each line's output printed as the shell returns it."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TextIO

from labkit.errors import LabkitError
from labkit.terminal.backend import Backend

HISTORY_LINES = 1000  # bash's HISTFILESIZE default is 500; a course runs longer
DELIMITERS = " \t\n;|&<>()'\""


def history_path() -> Path:
    """Where the terminal keeps its history: $XDG_STATE_HOME/labkit/shell_history
    (~/.local/state by default), one file per user."""
    state = os.environ.get("XDG_STATE_HOME") or os.path.join(Path.home(), ".local", "state")
    return Path(state) / "labkit" / "shell_history"


class _Readline:
    """GNU readline set up for one backend (history file, completion); nothing when stdin is
    not a terminal or Python has no readline."""

    def __init__(self, backend: Backend, history: Path | None) -> None:
        self.backend = backend
        self.history = history
        self.matches: list[str] = []
        try:
            import readline
        except ImportError:  # a Python without readline: lines without editing
            self.readline = None
            return
        self.readline = readline
        readline.set_completer_delims(DELIMITERS)
        readline.set_completer(self._complete)
        readline.parse_and_bind("tab: complete")
        readline.parse_and_bind("set enable-bracketed-paste off")
        readline.clear_history()
        readline.set_history_length(HISTORY_LINES)
        if history is not None:
            try:
                readline.read_history_file(history)
            except OSError:
                pass

    def _complete(self, text: str, index: int) -> str | None:
        assert self.readline is not None
        if index == 0:
            line = self.readline.get_line_buffer()
            cursor = self.readline.get_endidx()
            try:
                found = self.backend.complete(line, cursor)
            except Exception:  # completion must never break the line being typed
                found = []
            # a whole word is followed by a space, a directory is not, as in bash (Python's
            # readline appends nothing itself)
            self.matches = [m if m.endswith("/") else m + " " for m in found]
        return self.matches[index] if index < len(self.matches) else None

    def save(self) -> None:
        if self.readline is None or self.history is None:
            return
        try:
            self.history.parent.mkdir(parents=True, exist_ok=True)
            self.readline.set_history_length(HISTORY_LINES)
            self.readline.write_history_file(self.history)
            os.chmod(self.history, 0o600)
        except OSError as exc:
            print(f"labkit: history not saved: {exc}", file=sys.stderr)


def _termios_of(stream: TextIO) -> list | None:
    """The terminal's settings as the REPL found them (cooked: echo, signals)."""
    try:
        import termios

        return [stream.fileno(), termios.tcgetattr(stream.fileno())]
    except (ImportError, OSError, ValueError):
        return None


def _cooked(tty: list | None) -> None:
    """Give a command the terminal as the shell found it, so Ctrl-C is a signal and is
    echoed as ^C (bash does the same before it runs a command)."""
    if tty is None:
        return
    import termios

    try:
        termios.tcsetattr(tty[0], termios.TCSANOW, tty[1])
    except (OSError, termios.error):
        pass


def run(backend: Backend, history: Path | None = None, out: TextIO | None = None) -> int:
    """Read lines until `exit` or Ctrl-D; returns the exit status (`exit N`'s, else the last
    command's). The backend is closed on the way out, whatever happens."""
    out = out or sys.stdout
    interactive = sys.stdin.isatty()  # as bash: lines piped in get no prompt, no history
    rl = _Readline(backend, (history if history is not None else history_path())
                   if interactive else None)
    status = 0
    tty = _termios_of(sys.stdin) if interactive else None
    try:
        while True:
            try:
                line = input(backend.prompt() if interactive else "")
            except EOFError:  # Ctrl-D on an empty line: bash says exit and leaves
                if interactive:
                    out.write("exit\n")
                return status
            except KeyboardInterrupt:  # Ctrl-C at the prompt: the line is dropped
                out.write("^C\n")
                continue
            words = line.split()
            if words and words[0] == "exit":
                if interactive:
                    out.write("exit\n")  # interactive bash says so too
                if len(words) > 2:
                    out.write("bash: exit: too many arguments\n")
                    status = 1
                    continue
                if len(words) == 2:
                    if not words[1].lstrip("-").isdigit():
                        out.write(f"bash: exit: {words[1]}: numeric argument required\n")
                        return 2
                    status = int(words[1]) & 0xFF
                return status
            if not line.strip():
                continue
            _cooked(tty)  # readline may leave raw mode behind after a Ctrl-C at the prompt
            try:
                text, status = backend.run(line)
            except KeyboardInterrupt:  # the tty echoed ^C; bash starts a new line
                out.write("\n")
                out.flush()
                status = 130
                continue
            out.write(text)
            out.flush()
    except LabkitError as exc:
        out.write(f"labkit: {exc}\n")
        return 1
    finally:
        rl.save()
        backend.close()

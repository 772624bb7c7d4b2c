"""Reading a topology file: bounded in size, decoded, parsed as YAML, each failure one sentence.

A topology may be any path a user types, so this reads as if the file were hostile: only
regular files (never a device, pipe or socket, which could block or never end), at most
MAX_FILE_BYTES, UTF-8 only, YAML without aliases (an alias repeats a value, so a small file
could expand beyond any bound, and merge keys over aliases take quadratic time to load).
Every refusal is a TopologyError whose sentence names the file and what is wrong, and never
quotes the file's text: a YAML error says where (line and column) and what the parser met.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

from labkit.errors import TopologyError, escape
from labkit.model.schema import MAX_FILE_BYTES


def read_document(path: Path, source: str, missing: str) -> Any:
    """The YAML document in `path`, or TopologyError(source) saying why there is none;
    `missing` is the sentence for a file that does not exist."""
    return parse_document(read_bytes(path, source, missing), source)


def read_bytes(path: Path, source: str, missing: str) -> bytes:
    """At most MAX_FILE_BYTES of a regular file; TopologyError for anything else."""
    try:
        before = os.stat(path)
        if not stat.S_ISREG(before.st_mode):
            raise TopologyError([_not_regular(before.st_mode)], source)
        _check_size(before.st_size, source)
        fd = os.open(path, os.O_RDONLY | os.O_NOCTTY | os.O_NONBLOCK | os.O_CLOEXEC)
    except (FileNotFoundError, NotADirectoryError, ValueError):  # ValueError: a NUL in it
        raise TopologyError([missing], "topology") from None
    except OSError as exc:
        raise TopologyError([f"cannot read the file: {exc.strerror}"], source) from None
    try:
        now = os.fstat(fd)
        if not stat.S_ISREG(now.st_mode):  # replaced between stat and open
            raise TopologyError([_not_regular(now.st_mode)], source)
        chunks: list[bytes] = []
        size = 0
        while size <= MAX_FILE_BYTES:
            chunk = os.read(fd, MAX_FILE_BYTES + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        _check_size(size, source)
        return b"".join(chunks)
    except OSError as exc:
        raise TopologyError([f"cannot read the file: {exc.strerror}"], source) from None
    finally:
        os.close(fd)


def _not_regular(mode: int) -> str:
    what = ("a directory" if stat.S_ISDIR(mode) else "a device" if stat.S_ISCHR(mode)
            or stat.S_ISBLK(mode) else "a pipe" if stat.S_ISFIFO(mode)
            else "a socket" if stat.S_ISSOCK(mode) else "not a regular file")
    return f"is {what}, not a topology file"


def _check_size(size: int, source: str) -> None:
    if size > MAX_FILE_BYTES:
        raise TopologyError([f"the file has {'more than ' if size == MAX_FILE_BYTES + 1 else ''}"
                             f"{size} bytes; a topology file may have at most "
                             f"{MAX_FILE_BYTES} ({MAX_FILE_BYTES >> 20} MiB)"], source)


def parse_document(data: bytes, source: str) -> Any:
    """The YAML document that `data` holds (UTF-8, no aliases), or TopologyError."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise TopologyError([f"is not UTF-8 text: byte 0x{data[exc.start]:02x} at line {line} "
                             f"(offset {exc.start}) does not decode"], source) from None
    text = text.removeprefix("\ufeff")
    try:
        import yaml
    except ImportError:  # Pyodide in the browser: no PyYAML, JSON (YAML's subset) still reads
        return _parse_json(text, source)

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present
    try:
        for event in yaml.parse(text, Loader=loader):
            if isinstance(event, yaml.AliasEvent):
                raise TopologyError([f"uses an alias (*name) at {_where(event.start_mark)}; a "
                                     "topology file writes each value out"], source)
        return yaml.load(text, Loader=loader)
    except yaml.MarkedYAMLError as exc:
        what = escape(exc.problem or exc.context or "malformed", 100)
        mark = exc.problem_mark or exc.context_mark
        at = f" at {_where(mark)}" if mark is not None else ""
        raise TopologyError([f"is not valid YAML{at}: {what}"], source) from None
    except yaml.reader.ReaderError as exc:
        char = exc.character
        code = f"U+{ord(char):04X}" if isinstance(char, str) else f"0x{int(char):02x}"
        raise TopologyError([f"is not valid YAML: it holds the character {code}, which YAML "
                             f"does not allow, at offset {exc.position}"], source) from None
    except yaml.YAMLError as exc:
        raise TopologyError([f"is not valid YAML: {escape(str(exc).splitlines()[0], 100)}"],
                            source) from None
    except (ValueError, OverflowError, RecursionError) as exc:  # int(), deep nesting
        why = "it nests too deeply" if isinstance(exc, RecursionError) else escape(
            str(exc).split(";")[0], 100)
        raise TopologyError([f"cannot be read as YAML: {why}"], source) from None


def _where(mark: Any) -> str:
    return f"line {mark.line + 1}, column {mark.column + 1}"


def _parse_json(text: str, source: str) -> Any:
    """The JSON document `text` holds, where PyYAML is missing (the presets ship as JSON too)."""
    import json

    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise TopologyError([f"is not JSON at line {exc.lineno} column {exc.colno}: "
                             f"{escape(exc.msg, 100)} (without PyYAML, as in the browser, "
                             "a topology file must be JSON)"], source) from None
    except RecursionError:
        raise TopologyError(["cannot be read as JSON: it nests too deeply"], source) from None

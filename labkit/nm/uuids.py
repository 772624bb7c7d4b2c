"""Connection UUIDs: random version-4 ones as NetworkManager makes them, or, for reproducible
notebooks, derived from the lab's seed and the profile's name (still valid version-4 UUIDs)."""

from __future__ import annotations

import hashlib
import uuid


class UuidSource:
    """Hands out UUIDs for new profiles."""

    def __init__(self, seed: int | None = None) -> None:
        self.seed = seed
        self._count: dict[str, int] = {}

    def new(self, name: str) -> str:
        """A fresh UUID for a profile called `name` (deterministic when a seed was given)."""
        if self.seed is None:
            return str(uuid.uuid4())
        n = self._count.get(name, 0)
        self._count[name] = n + 1
        key = f"labkit:{self.seed}:{name}:{n}".encode("utf-8", "surrogateescape")
        digest = hashlib.sha256(key).digest()
        return str(uuid.UUID(bytes=digest[:16], version=4))


def from_name(name: str) -> str:
    """uuid5(NAMESPACE_URL, name) over the name's bytes, as NetworkManager derives a profile's
    UUID from its file name when the file has none; a name may hold any byte, not only UTF-8
    (Python's uuid5 would refuse a surrogate escape)."""
    raw = name.encode("utf-8", "surrogateescape")
    digest = hashlib.sha1(uuid.NAMESPACE_URL.bytes + raw, usedforsecurity=False).digest()
    return str(uuid.UUID(bytes=digest[:16], version=5))

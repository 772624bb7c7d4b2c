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

"""Partitions: the curated facts and each imported register, side by side in one store.

A store holds several *partitions*: ``curated`` (the fact files, with the reference data) and one
``register:<name>`` per imported register (``register:sipri``, ``register:atop``,
``register:cow``). A load or an import replaces exactly one partition and leaves the others as
they are: ``milcoop load`` keeps the imported registers, and importing a newer SIPRI release
replaces the previous release's facts and nothing else.

A resource (a subject IRI) belongs to every partition whose facts describe it. Most resources
belong to one; the reference data (states, the UN bodies, the materiel taxonomy) is compiled into
every partition, because each is validated with it in scope, so those resources belong to
several. Replacing a partition therefore:

* drops the resources only that partition held and its new facts no longer have;
* keeps the resources other partitions hold, exactly as they are;
* writes every resource of the new facts as the new facts describe it. For a shared reference
  resource that is the same description (the same bundled reference data); after the reference
  data changed, the newest load's description wins.

The embedded store records each resource's partitions and each partition's :class:`PartitionRecord`
(the book of record, since every load writes it; see :mod:`milcoop.graph.embedded.files`). The
store's data version combines the partitions' versions (:func:`combined_version`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

#: The partition of the curated fact files (and the reference data loaded with them).
CURATED = "curated"
_REGISTER_PREFIX = "register:"


def register_partition(register: str) -> str:
    """The partition of one register's imports, such as ``register:sipri``."""
    return f"{_REGISTER_PREFIX}{register}"


def is_register(partition: str) -> bool:
    """Whether ``partition`` holds a register's import (rather than the curated facts)."""
    return partition.startswith(_REGISTER_PREFIX)


@dataclass(frozen=True)
class PartitionRecord:
    """What one partition holds: its data version, when and from what it was written.

    ``release`` describes a register's release (``title``, ``version``, ``released``, ``url``,
    ``source``: the id of the source document its claims cite). ``inputs`` is a digest of what a
    register import was given (the file's bytes, the options, the reference data, milcoop's
    version), known before a row is read, so an unchanged re-import stops before reading.
    """

    name: str
    version: str
    at: str
    files: tuple[str, ...] = ()
    resources: int = 0
    triples: int = 0
    release: Mapping[str, str] = field(default_factory=dict)
    inputs: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "at": self.at,
            "files": list(self.files),
            "resources": self.resources,
            "triples": self.triples,
            "release": dict(self.release),
            "inputs": self.inputs,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PartitionRecord:
        return cls(
            name=str(data["name"]),
            version=str(data["version"]),
            at=str(data.get("at") or ""),
            files=tuple(str(f) for f in data.get("files") or ()),
            resources=int(data.get("resources") or 0),
            triples=int(data.get("triples") or 0),
            release={str(k): str(v) for k, v in (data.get("release") or {}).items()},
            inputs=str(data.get("inputs") or ""),
        )


def combined_version(versions: Mapping[str, str]) -> str:
    """The store's data version from its partitions' versions (partition name -> version).

    A store holding only the curated facts keeps their version, so a plain ``milcoop load`` names
    its data version as before; with registers beside them the version is a digest of all.
    """
    if not versions:
        return ""
    if set(versions) == {CURATED}:
        return versions[CURATED]
    sha = hashlib.sha256()
    for name in sorted(versions):
        sha.update(f"{name}={versions[name]}\n".encode())
    return sha.hexdigest()[:16]


__all__ = [
    "CURATED",
    "PartitionRecord",
    "combined_version",
    "is_register",
    "register_partition",
]

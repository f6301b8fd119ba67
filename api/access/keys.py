"""API keys: made by ``milcoop keys create``, kept hashed in the keys file, checked by the API.

A key is ``mck_`` followed by 32 random bytes (``secrets.token_urlsafe``); it is printed once and
never stored. The keys file (``MILCOOP_KEYS_FILE``, default ``keys.json`` in the data folder)
holds, per key, its name, scopes, creation time and the SHA-256 of the key. SHA-256 rather than
a slow password hash (scrypt, argon2) because the key is 256 random bits, not a password: there
is no dictionary to try, and a fast hash lets every request be checked without a cache.

The file is written whole to a temporary file and renamed over the old one (readers never see
half a file), under an exclusive lock (two ``keys create`` at once do not lose one), readable by
its owner only. The API re-reads it when it changes, so a new or revoked key takes effect on
the next request without a restart.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import secrets
import tempfile
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from milcoop.api.access.scopes import SCOPES

#: What every key starts with: tells a milcoop key from other secrets (and secret scanners can
#: look for it).
KEY_PREFIX = "mck_"
#: Random bytes in a key.
KEY_BYTES = 32
#: The keys file's format, stored in it.
FORMAT = "milcoop-keys/1"

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")


class KeysFileError(Exception):
    """The keys file cannot be read or written, or a request to change it is invalid."""


@dataclass(frozen=True)
class StoredKey:
    """One key as the keys file holds it: everything but the key itself."""

    name: str
    scopes: frozenset[str]
    created: str
    sha256: str

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "scopes": sorted(self.scopes, key=SCOPES.index), "created": self.created,
                "sha256": self.sha256}

    @classmethod
    def from_json(cls, data: Any) -> StoredKey:
        if not isinstance(data, dict):
            raise KeysFileError("each key must be an object")
        try:
            name, scopes, created, digest = data["name"], data["scopes"], data["created"], data["sha256"]
        except KeyError as exc:
            raise KeysFileError(f"a key lacks {exc.args[0]!r}") from None
        if not (isinstance(name, str) and isinstance(created, str) and isinstance(digest, str)):
            raise KeysFileError("a key's name, created and sha256 must be strings")
        if not isinstance(scopes, list) or any(scope not in SCOPES for scope in scopes):
            raise KeysFileError(f"key {name!r} has unknown scopes: {scopes!r}")
        if not re.fullmatch(r"[0-9a-f]{64}", digest):
            raise KeysFileError(f"key {name!r}: sha256 is not a SHA-256 digest")
        return cls(name, frozenset(scopes), created, digest)


def digest(key: str) -> str:
    """The SHA-256 (hex) a key is stored and looked up by."""
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def new_key() -> str:
    """A fresh random key."""
    return KEY_PREFIX + secrets.token_urlsafe(KEY_BYTES)


def check_name(name: str) -> str:
    """``name`` if it can name a key (letters, digits, ``._@-``, up to 64), else KeysFileError."""
    if not _NAME.fullmatch(name):
        raise KeysFileError(
            f"{name!r} cannot name a key: use letters, digits and . _ @ - (up to 64, starting with a letter or digit)"
        )
    return name


def check_scopes(scopes: Iterable[str]) -> frozenset[str]:
    """The scopes, if each is known and there is at least one, else KeysFileError."""
    chosen = frozenset(scopes)
    unknown = sorted(chosen - set(SCOPES))
    if unknown:
        raise KeysFileError(f"unknown scope {', '.join(unknown)}: the scopes are {', '.join(SCOPES)}")
    if not chosen:
        raise KeysFileError(f"give at least one scope ({', '.join(SCOPES)})")
    return chosen


def _parse(text: str, path: Path) -> list[StoredKey]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise KeysFileError(f"{path} is not JSON: {exc}") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("keys"), list):
        raise KeysFileError(f"{path} is not a milcoop keys file (format {FORMAT})")
    try:
        keys = [StoredKey.from_json(item) for item in data["keys"]]
    except KeysFileError as exc:
        raise KeysFileError(f"{path}: {exc}") from None
    return keys


class KeysFile:
    """The keys file at ``path``: read, and changed by ``milcoop keys``."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def read(self) -> list[StoredKey]:
        """The stored keys; none when the file does not exist."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise KeysFileError(f"cannot read {self.path}: {exc}") from None
        return _parse(text, self.path)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            lock = open(self.path.with_name(f".{self.path.name}.lock"), "a")  # noqa: SIM115 (held below)
        except OSError as exc:
            raise KeysFileError(f"cannot write beside {self.path}: {exc}") from None
        with lock:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
            yield

    def _write(self, keys: list[StoredKey]) -> None:
        body = json.dumps({"format": FORMAT, "keys": [k.to_json() for k in keys]}, indent=2) + "\n"
        try:
            handle, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".tmp")
            try:
                with os.fdopen(handle, "w", encoding="utf-8") as out:  # mkstemp makes it 0600
                    out.write(body)
                    out.flush()
                    os.fsync(out.fileno())
                os.replace(temporary, self.path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(temporary)
                raise
        except OSError as exc:
            raise KeysFileError(f"cannot write {self.path}: {exc}") from None

    def create(self, name: str, scopes: Iterable[str], now: datetime | None = None) -> tuple[str, StoredKey]:
        """A new key named ``name`` with ``scopes``: the key (to show once) and what is stored."""
        name, chosen = check_name(name), check_scopes(scopes)
        key = new_key()
        created = (now or datetime.now(UTC)).isoformat(timespec="seconds").replace("+00:00", "Z")
        stored = StoredKey(name, chosen, created, digest(key))
        with self._locked():
            keys = self.read()
            if any(k.name == name for k in keys):
                raise KeysFileError(f"there is already a key named {name!r}: revoke it first or choose another name")
            self._write([*keys, stored])
        return key, stored

    def revoke(self, name: str) -> StoredKey:
        """Remove the key named ``name`` (KeysFileError when there is none)."""
        with self._locked():
            keys = self.read()
            found = next((k for k in keys if k.name == name), None)
            if found is None:
                known = ", ".join(k.name for k in keys) or "none"
                raise KeysFileError(f"no key named {name!r} in {self.path} (keys: {known})")
            self._write([k for k in keys if k.name != name])
        return found


class KeyRing:
    """The keys the API accepts: the keys file, re-read whenever it has changed.

    Checking a key is one hash and one dictionary look-up; whether the file changed is one
    ``stat`` per request, cheap beside the request itself, and makes a revocation immediate.
    """

    def __init__(self, path: Path) -> None:
        self.file = KeysFile(path)
        self._lock = threading.Lock()
        self._stamp: tuple[int, int, int] | None = None
        self._by_digest: dict[str, StoredKey] = {}
        self._error: str | None = None

    def _refresh(self) -> None:
        try:
            info = os.stat(self.file.path)
            stamp: tuple[int, int, int] | None = (info.st_ino, info.st_mtime_ns, info.st_size)
        except FileNotFoundError:
            stamp = None
        except OSError as exc:
            self._error, self._stamp, self._by_digest = f"cannot read {self.file.path}: {exc}", None, {}
            return
        with self._lock:
            if stamp == self._stamp and self._error is None:
                return
            try:
                keys = self.file.read() if stamp is not None else []
            except KeysFileError as exc:
                self._error, self._by_digest = str(exc), {}
            else:
                self._error, self._by_digest = None, {k.sha256: k for k in keys}
            self._stamp = stamp

    def lookup(self, key: str) -> StoredKey | None:
        """The stored key ``key`` is, or None. KeysFileError when the file is unreadable (refuse all)."""
        self._refresh()
        if self._error is not None:
            raise KeysFileError(self._error)
        return self._by_digest.get(digest(key))

    def count(self) -> int:
        """How many keys there are (0 when the file is missing or unreadable)."""
        self._refresh()
        return len(self._by_digest)

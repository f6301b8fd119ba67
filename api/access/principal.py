"""Who is calling: an API key, or an address."""

from __future__ import annotations

from dataclasses import dataclass

from milcoop.api.access.scopes import SCOPES, Scope, allows


@dataclass(frozen=True)
class Principal:
    """The caller of one request, as the access middleware found it.

    ``key`` is the name of the API key the request carried (None without a valid key, and always
    with ``MILCOOP_AUTH=off``); ``address`` the client's address (after a trusted proxy's
    ``X-Forwarded-For``, which uvicorn applies: see docs/security.md).
    """

    key: str | None
    address: str
    scopes: frozenset[str]

    @classmethod
    def anonymous(cls, address: str, everything: bool) -> Principal:
        """A caller without a key: allowed everything when access control is off, nothing otherwise."""
        return cls(None, address, frozenset(SCOPES) if everything else frozenset())

    @property
    def client(self) -> str:
        """The name rate limits and SPARQL's fair sharing count by: the key, else the address."""
        return f"key:{self.key}" if self.key is not None else f"address:{self.address}"

    def allows(self, scope: Scope) -> bool:
        return allows(self.scopes, scope)

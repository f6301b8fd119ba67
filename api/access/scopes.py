"""The scopes an API key may hold, and the one table that says which scope each path needs.

Every request, to a route that exists today or to one added later (a site page, a mount), is
checked against :data:`RULES` by :class:`milcoop.api.access.middleware.AccessMiddleware`: the
first rule that matches the path decides, and a path no rule matches needs ``read``. So a new
route is closed by default; opening it, or asking for another scope, is one line here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

Scope = Literal["read", "export", "sparql", "cypher", "admin"]

#: Every scope, in the order ``milcoop keys`` lists them.
SCOPES: tuple[Scope, ...] = get_args(Scope)

#: What each scope allows (for ``milcoop keys create --help`` and docs/security.md).
SCOPE_HELP: dict[Scope, str] = {
    "read": "the JSON API under /v1 (flows, relations, entities, ...) and any site page",
    "export": "the RDF export, /v1/export",
    "sparql": "the SPARQL endpoint, /v1/sparql",
    "cypher": "the Cypher endpoint, /v1/cypher",
    "admin": "everything (it implies every other scope)",
}


@dataclass(frozen=True)
class Rule:
    """Paths starting with ``prefix`` need ``scope`` (None: open to anyone); ``audited`` ones are
    written to the access log whatever their answer."""

    prefix: str
    scope: Scope | None
    audited: bool = False

    def matches(self, path: str) -> bool:
        if self.scope is None:
            # An open rule opens the path and what is below it, not every path that merely starts
            # with the same letters (/docs opens /docs/oauth2-redirect, not /docsecret).
            return path == self.prefix or path.startswith(self.prefix.rstrip("/") + "/")
        # A scoped rule closes every path that starts with its prefix (/v1/export, /v1/exports):
        # matching more than needed only asks for more.
        return path.startswith(self.prefix)


#: The one table. Open: the health check (for load balancers and `docker compose ps`) and the
#: API's description (OpenAPI and its pages), which describe the API but hold none of its data.
RULES: tuple[Rule, ...] = (
    Rule("/healthz", None),
    Rule("/openapi.json", None),
    Rule("/docs", None),
    Rule("/redoc", None),
    Rule("/v1/export", "export", audited=True),
    Rule("/v1/sparql", "sparql", audited=True),
    Rule("/v1/cypher", "cypher", audited=True),
    Rule("/v1/admin", "admin", audited=True),
)

#: Everything else: the JSON API under /v1, the JSON-LD context and ontology files, site pages.
DEFAULT_RULE = Rule("/", "read")


def rule_for(path: str) -> Rule:
    """The rule that decides ``path`` (a route path, without the app's root path)."""
    for rule in RULES:
        if rule.matches(path):
            return rule
    return DEFAULT_RULE


def allows(scopes: frozenset[str], needed: Scope) -> bool:
    """Whether a key holding ``scopes`` may use a route needing ``needed`` (``admin`` allows all)."""
    return needed in scopes or "admin" in scopes

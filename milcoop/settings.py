"""One settings object, read from the environment.

``MILCOOP_*`` variables configure milcoop itself; Neo4j's own conventions (``NEO4J_URI``,
``NEO4J_USERNAME``, ``NEO4J_PASSWORD``, ``NEO4J_DATABASE``) configure the connection. The store is
chosen the same way everywhere: Neo4j when ``NEO4J_URI`` is set and not empty, otherwise the
embedded store under ``MILCOOP_DATA_DIR``.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

Backend = Literal["embedded", "neo4j"]


class Settings(BaseSettings):
    """milcoop's configuration. Every field can be set from the environment."""

    model_config = SettingsConfigDict(env_prefix="MILCOOP_", extra="ignore")

    data_dir: Path = Field(
        default=Path(".milcoop"),
        description="Where the embedded store keeps its files (MILCOOP_DATA_DIR).",
    )
    facts_dir: Path | None = Field(
        default=None,
        description="Curated fact files or a folder of them that `validate`, `load` and the first start of `serve` "
        "read when given none (MILCOOP_FACTS_DIR). Default: the facts bundled with milcoop.",
    )
    host: str = Field(default="127.0.0.1", description="Address the API listens on (MILCOOP_HOST).")
    port: int = Field(default=8000, ge=1, le=65535, description="Port the API listens on (MILCOOP_PORT).")
    sparql_timeout_seconds: float = Field(default=10.0, gt=0, description="Time limit of one SPARQL query.")
    sparql_max_results: int = Field(default=10_000, ge=1, description="Most rows one SPARQL query returns.")
    sparql_sandbox: Literal["required", "best-effort"] = Field(
        default="best-effort",
        description="Whether SPARQL workers must run in a network namespace of their own (required) or only "
        "where the platform allows it (best-effort); MILCOOP_SPARQL_SANDBOX.",
    )
    load_batch_size: int = Field(default=5_000, ge=1, description="Rows per UNWIND batch when loading Neo4j.")
    neo4j_connect_timeout_seconds: float = Field(
        default=1.0,
        gt=0,
        description="Seconds to open a connection to Neo4j (TCP and Bolt handshake) or to get one from the pool; "
        "a failed read is retried once, for half of it (MILCOOP_NEO4J_CONNECT_TIMEOUT_SECONDS).",
    )
    neo4j_query_timeout_seconds: float = Field(
        default=1.0,
        gt=0,
        description="Time limit of one of the API's own queries to Neo4j; the API gives up on an answer after this "
        "plus the connect timeout and answers 503 (MILCOOP_NEO4J_QUERY_TIMEOUT_SECONDS).",
    )
    cypher_timeout_seconds: float = Field(
        default=5.0,
        gt=0,
        description="Time limit of one query posted to /v1/cypher (MILCOOP_CYPHER_TIMEOUT_SECONDS).",
    )
    cypher_max_rows: int = Field(
        default=1_000,
        ge=1,
        description="Most rows one /v1/cypher answer holds; a longer answer is cut and says so "
        "(MILCOOP_CYPHER_MAX_ROWS).",
    )

    neo4j_uri: str = Field(default="", validation_alias=AliasChoices("NEO4J_URI"))
    neo4j_username: str = Field(default="neo4j", validation_alias=AliasChoices("NEO4J_USERNAME"))
    neo4j_password: str = Field(default="", validation_alias=AliasChoices("NEO4J_PASSWORD"))
    neo4j_database: str = Field(default="neo4j", validation_alias=AliasChoices("NEO4J_DATABASE"))

    @property
    def backend(self) -> Backend:
        """Neo4j when ``NEO4J_URI`` is set and not empty, the embedded store otherwise."""
        return "neo4j" if self.neo4j_uri.strip() else "embedded"


@cache
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()

"""One settings object, read from the environment.

``MILCOOP_*`` variables configure milcoop itself; Neo4j's own conventions (``NEO4J_URI``,
``NEO4J_USERNAME``, ``NEO4J_PASSWORD``, ``NEO4J_DATABASE``) configure the connection. The store is
chosen the same way everywhere: Neo4j when ``NEO4J_URI`` is set and not empty, otherwise the
embedded store under ``MILCOOP_DATA_DIR``.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AliasChoices, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

Backend = Literal["embedded", "neo4j"]
AuthMode = Literal["off", "keys"]


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
    workers: int | None = Field(
        default=None,
        ge=1,
        description="API worker processes `milcoop serve` runs, each answering requests on the same port "
        "(MILCOOP_WORKERS). Default: one per CPU this process may use, at most 4; one on a single CPU and "
        "whenever MILCOOP_RATE_LIMIT is set, since each process keeps its own rate-limit counters and N "
        "processes would let a client make N times its limit. See docs/scaling.md.",
    )
    port: int = Field(default=8000, ge=1, le=65535, description="Port the API listens on (MILCOOP_PORT).")
    sparql_timeout_seconds: float = Field(default=10.0, gt=0, description="Time limit of one SPARQL query.")
    sparql_max_results: int = Field(
        default=10_000,
        ge=1,
        description="Most rows (or triples) one SPARQL answer holds; a query with more results is refused with 400 "
        "and told how to page with LIMIT/OFFSET, never cut short (MILCOOP_SPARQL_MAX_RESULTS).",
    )
    public_base_url: str = Field(
        default="",
        description="The address the API is reached at from outside, e.g. 'https://milcoop.example.org' "
        "(MILCOOP_PUBLIC_BASE_URL). Used only for links: the SPARQL endpoint and data dumps in the service "
        "and dataset descriptions, the documents an IRI redirects to. Identifiers never change with it "
        "(they are https://w3id.org/milcoop/...). Default: the address each request came to.",
    )
    sparql_sandbox: Literal["required", "best-effort"] = Field(
        default="best-effort",
        description="Whether SPARQL workers must run in a network namespace of their own (required) or only "
        "where the platform allows it (best-effort); MILCOOP_SPARQL_SANDBOX.",
    )
    shacl_engine: Literal["rust", "pyshacl"] = Field(
        default="rust",
        description="Which SHACL validator checks facts before a load (MILCOOP_SHACL_ENGINE): 'rust' (the "
        "`shacl` package, fast) or 'pyshacl' (the reference, many times slower on large imports). Both read "
        "the same shapes and give the same results on the test fixtures.",
    )
    max_removal_share: float = Field(
        default=0.10,
        ge=0,
        le=1,
        description="Largest share of the stored resources a `milcoop load` may remove without --allow-removals "
        "(MILCOOP_MAX_REMOVAL_SHARE).",
    )
    sparql_workers: int | None = Field(
        default=None,
        ge=1,
        description="SPARQL worker processes (MILCOOP_SPARQL_WORKERS). Default: one per CPU plus one, so that a "
        "client using its whole share still leaves a worker for the others.",
    )
    sparql_per_client: int | None = Field(
        default=None,
        ge=1,
        description="Most SPARQL queries one client (an API key, or an address when MILCOOP_AUTH=off) may have "
        "running at once; as many more may wait, and further ones are refused with 429 "
        "(MILCOOP_SPARQL_PER_CLIENT). Default: half the workers rounded up, never all of them.",
    )
    sparql_queue: int | None = Field(
        default=None,
        ge=0,
        description="Most SPARQL queries waiting for a worker, all clients together; past it a query is refused "
        "with 503 at once (MILCOOP_SPARQL_QUEUE). Default: twice the workers.",
    )
    load_batch_size: int = Field(default=5_000, ge=1, description="Rows per UNWIND batch when loading Neo4j.")
    neo4j_import_command: str = Field(
        default="",
        description="A command that runs Neo4j's offline importer for a first load into an empty database "
        "(MILCOOP_NEO4J_IMPORT_COMMAND): milcoop appends the folder of CSV files and argument file it wrote; the "
        "command stops Neo4j, runs `neo4j-admin` with those arguments, puts the database in place and starts Neo4j "
        "again. Empty (the default): every load is a transaction. For the development server: "
        "'tools/neo4j/neo4j-dev import --home .milcoop/neo4j-dev'. See docs/scaling.md.",
    )
    neo4j_import_min_nodes: int = Field(
        default=200_000,
        ge=0,
        description="Fewest nodes for which a first load into an empty database uses the offline import when "
        "MILCOOP_NEO4J_IMPORT_COMMAND is set (MILCOOP_NEO4J_IMPORT_MIN_NODES); smaller loads are transactions, "
        "which cost less than stopping and starting Neo4j and fit a 2 GB heap (95,000 nodes did, 473,000 did not; "
        "see docs/scaling.md).",
    )
    neo4j_import_timeout_seconds: float = Field(
        default=3600.0,
        gt=0,
        description="Longest the offline import command may run (MILCOOP_NEO4J_IMPORT_TIMEOUT_SECONDS).",
    )
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

    auth: AuthMode = Field(
        default="off",
        description="'keys': every request but /healthz and the API description needs an API key with the "
        "route's scope; 'off' (the local default): no key is asked for (MILCOOP_AUTH).",
    )
    keys_file: Path | None = Field(
        default=None,
        description="The API keys (hashed) that `milcoop keys` writes and the API reads (MILCOOP_KEYS_FILE). "
        "Default: keys.json in MILCOOP_DATA_DIR.",
    )
    rate_limit: str = Field(
        default="",
        description="Requests one API key (or one address, without a valid key) may make, in the notation "
        "'120/minute', several joined by ';' ('10/second;600/hour'); empty or 'off': no limit "
        "(MILCOOP_RATE_LIMIT).",
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Origins whose browser pages may call the API, comma-separated, e.g. "
        "'https://app.example.org', or '*' for any (a public read-only deployment; keys travel in headers, "
        "never cookies, so '*' hands no page another's credentials) (MILCOOP_CORS_ORIGINS). Default: none.",
    )
    access_log_file: Path | None = Field(
        default=None,
        description="File the access log of exports and queries is appended to, one JSON object a line "
        "(MILCOOP_ACCESS_LOG_FILE). Default: standard error, through the logger 'milcoop.access'.",
    )
    max_body_bytes: int = Field(
        default=400_000,
        ge=0,
        description="Longest request body the API reads; a longer one is refused with 413 before it is read "
        "whole (MILCOOP_MAX_BODY_BYTES).",
    )

    snapshot_formats: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Export formats a load writes whole, comma-separated, e.g. 'nquads,turtle' "
        "(MILCOOP_SNAPSHOT_FORMATS): the embedded store's first unfiltered export in each is then a replay "
        "of the kept file, not a read of the store, at the cost of that export's time during the load. "
        "Default: none (the first export writes the snapshot).",
    )

    neo4j_uri: str = Field(default="", validation_alias=AliasChoices("NEO4J_URI"))
    neo4j_username: str = Field(default="neo4j", validation_alias=AliasChoices("NEO4J_USERNAME"))
    neo4j_password: str = Field(default="", validation_alias=AliasChoices("NEO4J_PASSWORD"))
    neo4j_database: str = Field(default="neo4j", validation_alias=AliasChoices("NEO4J_DATABASE"))

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip().rstrip("/") for part in value.split(",") if part.strip()]
        return value

    @field_validator("snapshot_formats", mode="before")
    @classmethod
    def _format_names(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip().lower() for part in value.split(",") if part.strip()]
        return value

    @field_validator("public_base_url", mode="after")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("MILCOOP_PUBLIC_BASE_URL must be an http:// or https:// address")
        return value

    @property
    def keys_path(self) -> Path:
        """Where the API keys are kept: ``MILCOOP_KEYS_FILE``, else ``keys.json`` in the data folder."""
        return self.keys_file if self.keys_file is not None else self.data_dir / "keys.json"

    @property
    def worker_count(self) -> int:
        """API worker processes: the setting, else :func:`default_workers`."""
        return self.workers if self.workers is not None else default_workers(self.rate_limit)

    @property
    def sparql_worker_count(self) -> int:
        """SPARQL workers: the setting, else one per CPU plus one (at least three)."""
        if self.sparql_workers is not None:
            return self.sparql_workers
        return max(2, os.cpu_count() or 1) + 1

    @property
    def sparql_client_share(self) -> int:
        """Most SPARQL queries one client runs at once: the setting, else half the workers rounded up but
        never all of them (one worker is always left to the other clients when there are two or more)."""
        workers = self.sparql_worker_count
        if self.sparql_per_client is not None:
            return min(self.sparql_per_client, workers)
        return max(1, min(workers - 1, (workers + 1) // 2))

    @property
    def sparql_queue_size(self) -> int:
        """Most SPARQL queries waiting for a worker: the setting, else twice the workers."""
        return self.sparql_queue if self.sparql_queue is not None else 2 * self.sparql_worker_count

    @property
    def backend(self) -> Backend:
        """Neo4j when ``NEO4J_URI`` is set and not empty, the embedded store otherwise."""
        return "neo4j" if self.neo4j_uri.strip() else "embedded"


#: Most API worker processes ``milcoop serve`` starts by default (more rarely pay on the machines
#: milcoop is served from, and each embedded-store worker builds its own event index in memory).
MAX_DEFAULT_WORKERS = 4


def usable_cpus() -> int:
    """The CPUs this process may run on (its affinity, which a container's CPU set narrows), else the
    machine's count."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        return os.cpu_count() or 1


def default_workers(rate_limit: str = "") -> int:
    """The API workers ``milcoop serve`` runs without ``--workers`` or ``MILCOOP_WORKERS``: one per
    usable CPU, at most :data:`MAX_DEFAULT_WORKERS`; one when a rate limit is set (its counters live
    in each process's memory, so several processes would multiply the limit)."""
    if rate_limit.strip() and rate_limit.strip().lower() != "off":
        return 1
    return max(1, min(usable_cpus(), MAX_DEFAULT_WORKERS))


class SettingsError(ValueError):
    """An environment variable holds a value milcoop cannot use; the message names each variable."""


def environment_name(field: str) -> str:
    """The environment variable that sets ``field`` (``port`` -> ``MILCOOP_PORT``, ``neo4j_uri`` -> ``NEO4J_URI``)."""
    info = Settings.model_fields.get(field)
    alias = info.validation_alias if info is not None else None
    if isinstance(alias, AliasChoices) and alias.choices and isinstance(alias.choices[0], str):
        return alias.choices[0]
    if isinstance(alias, str):
        return alias
    return f"{Settings.model_config.get('env_prefix', '')}{field}".upper()


def describe_settings_error(exc: ValidationError) -> str:
    """One line per bad variable, e.g. ``MILCOOP_PORT='0': Input should be greater than or equal to 1``."""
    lines = []
    for error in exc.errors(include_url=False):
        field = str(error["loc"][0]) if error["loc"] else ""
        value = error.get("input")
        shown = f"={value!r}" if isinstance(value, str | int | float) else ""
        message = str(error["msg"]).removeprefix("Value error, ")
        lines.append(f"{environment_name(field)}{shown}: {message}")
    return "; ".join(lines)


@cache
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment.

    Raises :class:`SettingsError`, naming the variable, when one holds a value milcoop cannot use.
    """
    try:
        return Settings()
    except ValidationError as exc:
        raise SettingsError(f"invalid setting: {describe_settings_error(exc)}") from None

"""The one procedure allow-list (graph/neo4j/procedures.py): what /v1/cypher checks plans against,
the same list in the dev server's and compose's Neo4j configuration, and the plan check itself."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import yaml
from neo4j import Driver

from milcoop.graph.neo4j.procedures import (
    APOC_SCHEMA_PROCEDURES,
    CYPHER_PROCEDURES,
    SERVER_ALLOWLIST,
    SERVER_ONLY_PROCEDURES,
    SERVER_UNRESTRICTED,
)
from milcoop.graph.neo4j.user_cypher import CypherRefused, check_plan

ROOT = Path(__file__).resolve().parent.parent.parent


def test_cypher_allowlist_is_read_only_schema_procedures() -> None:
    # The servers load what /v1/cypher may call, plus APOC's index and constraint listings for
    # tools that connect directly; nothing else.
    assert SERVER_ALLOWLIST.split(",") == [*CYPHER_PROCEDURES, *SERVER_ONLY_PROCEDURES]
    assert all(name.startswith("apoc.schema.") for name in SERVER_ONLY_PROCEDURES)
    assert not set(SERVER_ONLY_PROCEDURES) & set(CYPHER_PROCEDURES)
    # Only APOC's schema procedures leave the sandbox, and each of them is on the server's list.
    assert SERVER_UNRESTRICTED.split(",") == [*APOC_SCHEMA_PROCEDURES, *SERVER_ONLY_PROCEDURES]
    assert all(name.startswith("apoc.meta.") and name in CYPHER_PROCEDURES for name in APOC_SCHEMA_PROCEDURES)
    assert set(SERVER_UNRESTRICTED.split(",")) <= set(SERVER_ALLOWLIST.split(","))
    assert not [name for name in CYPHER_PROCEDURES if name.startswith(("dbms.", "apoc.load", "tx.", "apoc.export"))]


def test_cypher_allowlist_of_compose_is_the_same_list() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    environment = compose["services"]["neo4j"]["environment"]
    assert environment["NEO4J_dbms_security_procedures_allowlist"] == SERVER_ALLOWLIST
    assert environment["NEO4J_dbms_security_procedures_unrestricted"] == SERVER_UNRESTRICTED


def test_cypher_allowlist_reaches_the_dev_server_command() -> None:
    source = (ROOT / "tools/neo4j/src/main/java/org/milcoop/neo4j/DevServer.java").read_text(encoding="utf-8")
    assert "GraphDatabaseSettings.procedure_allowlist" in source
    assert "GraphDatabaseSettings.procedure_unrestricted" in source
    launcher = (ROOT / "tools/neo4j/neo4j_dev.py").read_text(encoding="utf-8")
    assert '"--procedures-allowlist",\n            SERVER_ALLOWLIST,' in launcher
    assert '"--procedures-unrestricted",\n            SERVER_UNRESTRICTED,' in launcher


@pytest.mark.neo4j
def test_cypher_allowlist_is_set_in_the_session_dev_server(neo4j_driver: Driver) -> None:
    if os.environ.get("NEO4J_URI", "").strip():
        pytest.skip("NEO4J_URI names a server this suite did not configure")
    records = neo4j_driver.execute_query(
        "CALL dbms.listConfig('dbms.security') YIELD name, value RETURN name, value"
    ).records
    config = {r["name"]: r["value"] for r in records}
    assert config["dbms.security.procedures.allowlist"] == SERVER_ALLOWLIST
    assert config["dbms.security.procedures.unrestricted"] == SERVER_UNRESTRICTED
    assert config["dbms.security.allow_csv_import_from_file_urls"] == "false"


# -- the plan check on plans shaped as Neo4j 5.26 gives them -----------------------------------------


def _op(kind: str, details: str | None = None, *children: dict[str, Any]) -> dict[str, Any]:
    args = {"Details": details} if details is not None else {}
    return {"operatorType": f"{kind}@neo4j", "args": args, "children": list(children)}


def test_cypher_plan_check_lets_reads_and_allowed_procedures_through() -> None:
    check_plan("r", _op("ProduceResults", "n", _op("AllNodesScan", "n")), "neo4j")
    check_plan("r", _op("ProduceResults", "label", _op("ProcedureCall", "db.labels() :: (label :: STRING)")), "neo4j")


@pytest.mark.parametrize(
    ("query_type", "plan", "kind", "words"),
    [
        ("w", _op("ProduceResults", "", _op("Create", "(n)")), "not-read-only", "writes"),
        ("rw", _op("ProduceResults", "", _op("Create", "(n)")), "not-read-only", "reads and writes"),
        ("s", _op("CreateIndex", "RANGE INDEX x FOR (:X) ON (y)"), "not-read-only", "schema"),
        ("r", _op("ProduceResults", "l", _op("LoadCSV", "l")), "load-csv", "LOAD CSV"),
        ("r", _op("ProduceResults", "x", _op("ShowTransactions", "allTransactions")), "command", "SHOW"),
        ("r", _op("ProduceResults", "x", _op("TerminateTransactions", "x")), "command", "TERMINATE"),
        ("r", _op("ProduceResults", "x", _op("TransactionApply", "IN TRANSACTIONS")), "command", "IN TRANSACTIONS"),
        ("s", {"operatorType": "AdministrationCommand@system", "args": {}}, "database", "'system'"),
        ("r", _op("ProduceResults", "x", _op("ProcedureCall", "db.stats.retrieve($s) :: (x :: MAP)")), "procedure",
         "procedure not allowed: db.stats.retrieve"),
        ("s", _op("ProduceResults", "x", _op("ProcedureCall", "dbms.listConfig() :: (name :: STRING)")), "procedure",
         "procedure not allowed: dbms.listConfig"),
        ("r", _op("ProduceResults", "x", _op("Apply", None, _op("AllNodesScan", "n"),
                                              _op("ProcedureCall", "apoc.load.json($u) :: (value :: MAP)"))),
         "procedure", "apoc.load.json"),
        ("r", _op("ProduceResults", "x", _op("ProcedureCall", None)), "procedure", "unnamed"),
        ("r", None, "command", "no plan"),
    ],
)
def test_cypher_plan_check_refuses_from_the_plan(
    query_type: str, plan: dict[str, Any] | None, kind: str, words: str
) -> None:
    with pytest.raises(CypherRefused) as refused:
        check_plan(query_type, plan, "neo4j")
    assert refused.value.kind == kind and words in str(refused.value)

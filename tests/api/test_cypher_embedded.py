"""``POST /v1/cypher`` on the embedded store: 501 with the reason (no Neo4j needed)."""

from __future__ import annotations

from pathlib import Path

from milcoop.loaders.curated import CompiledFacts
from tests.api.stores import client_for, embedded_settings


def test_cypher_on_the_embedded_store_answers_501(tmp_path: Path, bundled: CompiledFacts) -> None:
    with client_for(embedded_settings(tmp_path, bundled)) as embedded:
        response = embedded.post("/v1/cypher", json={"query": "RETURN 1"})
    assert response.status_code == 501
    body = response.json()
    assert body["error"] == "unavailable" and "embedded" in body["message"] and "/v1/sparql" in body["message"]

"""Access control: API keys and scopes, the keys command, rate limits, CORS and the access log."""

from __future__ import annotations

import json
import stat
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from typer.testing import CliRunner

from milcoop.api import errors
from milcoop.api.access import middleware as access
from milcoop.api.access.deps import CypherCaller, RequireCypher, check_routes, effective_routes
from milcoop.api.access.keys import KEY_PREFIX, KeysFile
from milcoop.api.access.scopes import SCOPES, rule_for
from milcoop.api.app import create_app
from milcoop.cli import app as cli
from milcoop.loaders.curated import CompiledFacts
from milcoop.settings import Settings, get_settings
from tests.api.stores import client_for, embedded_settings

ASK = "ASK { ?s ?p ?o }"


@pytest.fixture(scope="module")
def base_settings(tmp_path_factory: pytest.TempPathFactory, bundled: CompiledFacts) -> Settings:
    return embedded_settings(tmp_path_factory.mktemp("access"), bundled)


@pytest.fixture(scope="module")
def settings(base_settings: Settings) -> Settings:
    """Keys on, with an access log file: what docker-compose.yml deploys."""
    return base_settings.model_copy(
        update={"auth": "keys", "access_log_file": base_settings.data_dir / "access.log"}
    )


@pytest.fixture(scope="module")
def keys(settings: Settings) -> dict[str, str]:
    made = {}
    for name, scopes in {
        "reader": ["read"],
        "exporter": ["export"],
        "querier": ["sparql"],
        "root": ["admin"],
    }.items():
        made[name], _ = KeysFile(settings.keys_path).create(name, scopes)
    return made


@pytest.fixture()
def http(live_server: str) -> Iterator[httpx.Client]:
    """A client of the live server, patient: the first SPARQL query starts a worker on a shared machine."""
    with httpx.Client(base_url=live_server, timeout=60) as client:
        yield client


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture()
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """``milcoop`` reading its settings from a fresh data folder."""
    monkeypatch.setenv("MILCOOP_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("MILCOOP_KEYS_FILE", raising=False)
    get_settings.cache_clear()
    try:
        yield tmp_path / "keys.json"
    finally:
        get_settings.cache_clear()


# -- the keys command and the keys file ------------------------------------------------------------------


def test_keys_create_prints_the_key_once_and_the_file_keeps_only_its_hash(cli_env: Path) -> None:
    runner = CliRunner()
    made = runner.invoke(cli, ["keys", "create", "--name", "alice", "--scope", "read", "--scope", "export,sparql"])
    assert made.exit_code == 0, made.output
    key = made.stdout.strip()
    assert key.startswith(KEY_PREFIX) and len(key) > 40 and "\n" not in key
    text = cli_env.read_text()
    assert key not in text and key.removeprefix(KEY_PREFIX) not in text
    stored = json.loads(text)["keys"]
    assert [(k["name"], sorted(k["scopes"])) for k in stored] == [("alice", ["export", "read", "sparql"])]
    assert stat.S_IMODE(cli_env.stat().st_mode) == 0o600

    listed = runner.invoke(cli, ["keys", "list"])
    assert listed.exit_code == 0 and "alice" in listed.stdout and "export" in listed.stdout
    assert key not in listed.output and stored[0]["sha256"] not in listed.output

    again = runner.invoke(cli, ["keys", "create", "--name", "alice", "--scope", "read"])
    assert again.exit_code == 1 and "already" in again.output
    unknown = runner.invoke(cli, ["keys", "create", "--name", "bob", "--scope", "write"])
    assert unknown.exit_code == 1 and "unknown scope write" in unknown.output

    revoked = runner.invoke(cli, ["keys", "revoke", "alice"])
    assert revoked.exit_code == 0, revoked.output
    assert json.loads(cli_env.read_text())["keys"] == []
    assert runner.invoke(cli, ["keys", "revoke", "alice"]).exit_code == 1


# -- keys and scopes over HTTP --------------------------------------------------------------------------


def test_without_a_key_every_data_path_is_401_with_a_challenge(settings: Settings, http: httpx.Client) -> None:
    for path in ("/v1/flows?from=PRK", "/v1/export", f"/v1/sparql?query={ASK}", "/v1/context.jsonld", "/", "/nope"):
        response = http.get(f"{path}")
        assert response.status_code == 401, (path, response.text)
        assert response.headers["www-authenticate"] == 'Bearer realm="milcoop"'
        body = response.json()
        assert body["error"] == "unauthorized" and "Authorization: Bearer" in body["message"]
    wrong = http.get("/v1/flows", params={"from": "PRK"}, headers=bearer("mck_not-a-key"))
    assert wrong.status_code == 401 and 'error="invalid_token"' in wrong.headers["www-authenticate"]
    # Open: the health check and the API's description.
    for path in ("/healthz", "/openapi.json", "/docs"):
        assert http.get(f"{path}").status_code == 200, path


def test_a_read_key_reads_but_cannot_export_or_query_sparql(
    settings: Settings, keys: dict[str, str], http: httpx.Client
) -> None:
    reader = bearer(keys["reader"])
    assert http.get("/v1/flows", params={"from": "PRK"}, headers=reader).status_code == 200
    for path, scope in (("/v1/export", "export"), ("/v1/sparql", "sparql")):
        response = http.get(f"{path}", params={"query": ASK}, headers=reader)
        assert response.status_code == 403, response.text
        assert response.json()["error"] == "forbidden" and f"'{scope}'" in response.json()["message"]
        assert f'error="insufficient_scope", scope="{scope}"' in response.headers["www-authenticate"]


def test_an_export_key_exports_and_a_sparql_key_queries(
    settings: Settings, keys: dict[str, str], http: httpx.Client
) -> None:
    export = http.get("/v1/export", params={"format": "ntriples"}, headers=bearer(keys["exporter"]))
    assert export.status_code == 200 and export.headers["content-type"].startswith("application/n-triples")
    assert len(export.content) > 10_000
    # Either header carries the key.
    query = http.post("/v1/sparql", data={"query": ASK}, headers={"X-API-Key": keys["querier"]})
    assert query.status_code == 200 and query.json()["boolean"] is True
    # Scopes are not nested: the export key cannot query, the SPARQL key cannot read the JSON API.
    assert http.get("/v1/sparql", params={"query": ASK}, headers=bearer(keys["exporter"])).status_code == 403
    assert http.get("/v1/flows", params={"from": "PRK"}, headers=bearer(keys["querier"])).status_code == 403
    # admin allows everything.
    for path in ("/v1/flows?from=PRK", "/v1/export?format=turtle", f"/v1/sparql?query={ASK}"):
        assert http.get(f"{path}", headers=bearer(keys["root"])).status_code == 200, path


def test_a_revoked_key_is_refused_from_the_next_request_on(settings: Settings, http: httpx.Client) -> None:
    file = KeysFile(settings.keys_path)
    key, _ = file.create("temporary", ["read"])
    assert http.get("/v1/entities/PRK", headers=bearer(key)).status_code == 200
    file.revoke("temporary")
    response = http.get("/v1/entities/PRK", headers=bearer(key))
    assert response.status_code == 401 and 'error="invalid_token"' in response.headers["www-authenticate"]
    assert "revoked" in response.json()["message"]


def test_an_unreadable_keys_file_refuses_everything_but_the_open_paths(base_settings: Settings, tmp_path: Path) -> None:
    broken = tmp_path / "keys.json"
    broken.write_text("{not json")
    settings = base_settings.model_copy(update={"auth": "keys", "keys_file": broken})
    with client_for(settings) as client:
        response = client.get("/v1/flows", params={"from": "PRK"}, headers=bearer("mck_anything"))
        assert response.status_code == 503 and "keys file" in response.json()["message"]
        assert client.get("/healthz").status_code == 200


def test_with_access_control_off_no_key_is_asked_for(base_settings: Settings) -> None:
    assert Settings.model_validate({}).auth == "off"
    with client_for(base_settings) as client:
        assert client.get("/v1/flows", params={"from": "PRK"}).status_code == 200
        assert client.get("/v1/export", params={"format": "turtle"}).status_code == 200
        assert client.get("/v1/sparql", params={"query": ASK}).json()["boolean"] is True
        assert "securitySchemes" not in client.get("/openapi.json").json().get("components", {})


def test_openapi_describes_both_ways_of_sending_a_key_when_keys_are_on(settings: Settings) -> None:
    schema = create_app(settings).openapi()
    assert set(schema["components"]["securitySchemes"]) == {"bearer", "apiKey"}
    assert schema["paths"]["/v1/flows"]["get"]["security"] == [{"bearer": []}, {"apiKey": []}]


# -- the one table --------------------------------------------------------------------------------------


def test_the_table_gives_every_route_its_scope(settings: Settings) -> None:
    expected = {"/v1/export": "export", "/v1/sparql": "sparql", "/v1/cypher": "cypher", "/healthz": None}
    app = create_app(settings)
    paths = {path for path, _ in effective_routes(app.routes)}
    assert {"/v1/export", "/v1/sparql", "/v1/flows", "/healthz", "/docs", "/openapi.json"} <= paths
    for path in paths:
        scope = rule_for(path).scope
        if path in expected:
            assert scope == expected[path], path
        elif path.startswith(("/docs", "/openapi.json", "/redoc")):
            assert scope is None, path
        else:
            assert scope == "read", path
    # Future routes and site pages are closed by default; open rules open only their own subtree.
    assert rule_for("/v1/cypher").scope == "cypher"
    assert rule_for("/about").scope == "read" and rule_for("/docsecret").scope == "read"
    assert rule_for("/v1/exports.zip").scope == "export"
    assert SCOPES == ("read", "export", "sparql", "cypher", "admin")


def _cypher_app(settings: Settings) -> FastAPI:
    """A stand-in for the /v1/cypher route another module adds: it only declares its scope."""
    router = APIRouter(prefix="/v1")

    @router.post("/cypher", dependencies=[RequireCypher])
    def cypher() -> dict[str, str]:
        return {"answer": "ok"}

    @router.get("/cypher/whoami")
    def whoami(caller: CypherCaller) -> dict[str, str | None]:
        return {"key": caller.key}

    app = FastAPI()
    app.state.settings = settings
    app.include_router(router)
    errors.install(app)
    check_routes(app.routes)
    access.install(app, settings)
    return app


def test_a_route_stating_the_cypher_scope_needs_a_cypher_key(settings: Settings, keys: dict[str, str]) -> None:
    from fastapi.testclient import TestClient

    cypher_key, _ = KeysFile(settings.keys_path).create("grapher", ["cypher"])
    with TestClient(_cypher_app(settings)) as client:
        assert client.post("/v1/cypher").status_code == 401
        assert client.post("/v1/cypher", headers=bearer(keys["reader"])).status_code == 403
        assert client.post("/v1/cypher", headers=bearer(cypher_key)).json() == {"answer": "ok"}
        assert client.get("/v1/cypher/whoami", headers=bearer(cypher_key)).json() == {"key": "grapher"}


def test_a_route_stating_a_scope_the_table_does_not_give_it_is_refused_at_build() -> None:
    router = APIRouter(prefix="/v1")

    @router.get("/flows-by-cypher", dependencies=[RequireCypher])
    def misplaced() -> None:
        return None

    app = FastAPI()
    app.include_router(router)
    with pytest.raises(ValueError, match="states the scope 'cypher'"):
        check_routes(app.routes)


# -- rate limit -----------------------------------------------------------------------------------------


def test_the_rate_limit_answers_429_with_retry_after_per_key_and_per_address(
    settings: Settings, keys: dict[str, str]
) -> None:
    limited = settings.model_copy(update={"rate_limit": "3/minute"})
    with client_for(limited) as client:
        reader, other = bearer(keys["reader"]), bearer(keys["root"])
        answers = [client.get("/v1/entities/PRK", headers=reader) for _ in range(4)]
        assert [a.status_code for a in answers] == [200, 200, 200, 429]
        refused = answers[-1]
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        assert refused.json()["error"] == "too_many_requests" and "3 per 1 minute" in refused.json()["message"]
        # Another key has its own count; requests without a valid key count against the address.
        assert client.get("/v1/entities/PRK", headers=other).status_code == 200
        anonymous = [client.get("/healthz").status_code for _ in range(4)]
        assert anonymous == [200, 200, 200, 429]


def test_no_rate_limit_by_default() -> None:
    assert Settings.model_validate({}).rate_limit == ""


def test_a_malformed_rate_limit_is_refused_when_the_app_is_built(base_settings: Settings) -> None:
    with pytest.raises(ValueError, match="MILCOOP_RATE_LIMIT"):
        create_app(base_settings.model_copy(update={"rate_limit": "lots"}))


# -- CORS -----------------------------------------------------------------------------------------------


def test_cors_answers_a_configured_origin_and_no_other(settings: Settings, keys: dict[str, str]) -> None:
    allowed = "https://atlas.example.org"
    configured = settings.model_copy(update={"cors_origins": [allowed]})
    preflight = {"Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "authorization"}
    with client_for(configured) as client:
        ok = client.options("/v1/flows", headers={"Origin": allowed, **preflight})
        assert ok.status_code == 200
        assert ok.headers["access-control-allow-origin"] == allowed
        assert "authorization" in ok.headers["access-control-allow-headers"].lower()
        other = client.options("/v1/flows", headers={"Origin": "https://elsewhere.example", **preflight})
        assert other.status_code == 400 and "access-control-allow-origin" not in other.headers
        # The real request, refused or answered, carries the header for the allowed origin only.
        refused = client.get("/v1/flows", params={"from": "PRK"}, headers={"Origin": allowed})
        assert refused.status_code == 401 and refused.headers["access-control-allow-origin"] == allowed
        answered = client.get("/v1/flows", params={"from": "PRK"}, headers={"Origin": allowed, **bearer(keys["reader"])})
        assert answered.status_code == 200 and answered.headers["access-control-allow-origin"] == allowed
        foreign = client.get("/v1/flows", params={"from": "PRK"}, headers={"Origin": "https://elsewhere.example"})
        assert "access-control-allow-origin" not in foreign.headers
    # None by default.
    assert Settings.model_validate({}).cors_origins == []
    assert Settings.model_validate({"cors_origins": "https://a.example, https://b.example/"}).cors_origins == [
        "https://a.example", "https://b.example"
    ]


# -- the access log -------------------------------------------------------------------------------------


def _records(path: Path, since: int) -> list[dict[str, object]]:
    lines = path.read_text(encoding="utf-8").splitlines()[since:]
    return [json.loads(line) for line in lines]


def test_the_access_log_records_exports_and_queries_with_the_key_name(
    settings: Settings, keys: dict[str, str], http: httpx.Client
) -> None:
    log = settings.access_log_file
    assert log is not None
    before = len(log.read_text().splitlines()) if log.exists() else 0
    query = "SELECT ?s WHERE { ?s ?p ?o } LIMIT 7"
    # Uncompressed, so that the bytes the log counts (those sent) are the body's.
    export = http.get("/v1/export", params={"format": "ntriples", "actor": "PRK"},
                       headers={**bearer(keys["exporter"]), "Accept-Encoding": "identity"})
    assert export.status_code == 200
    answered = http.post("/v1/sparql", content=query,
                          headers={"Content-Type": "application/sparql-query", "Accept": "text/csv",
                                   **bearer(keys["querier"])})
    assert answered.status_code == 200
    refused = http.get("/v1/export", headers=bearer(keys["reader"]))
    assert refused.status_code == 403
    assert http.get("/v1/flows", params={"from": "PRK"}, headers=bearer(keys["reader"])).status_code == 200
    deadline = time.monotonic() + 5
    while len(_records(log, before)) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    records = _records(log, before)
    by_key = {(r["key"], r["status"]): r for r in records}
    exported = by_key["exporter", 200]
    assert exported["event"] == "export" and exported["path"] == "/v1/export"
    assert exported["format"] == "application/n-triples" and exported["bytes"] == len(export.content)
    assert "actor=PRK" in str(exported["query"]) and exported["address"] == "127.0.0.1" and exported["complete"]
    queried = by_key["querier", 200]
    assert queried["event"] == "sparql" and queried["query"] == query and queried["format"] == "text/csv"
    assert queried["rows"] == 7 and queried["bytes"] == len(answered.content)
    assert isinstance(queried["seconds"], float) and str(queried["time"]).endswith("Z")
    assert by_key["reader", 403]["event"] == "export"
    # Reads of the JSON API are not access-logged (uvicorn's own log has them); keys never are.
    assert not any(r["path"] == "/v1/flows" for r in records)
    text = log.read_text()
    assert not any(key in text for key in keys.values())

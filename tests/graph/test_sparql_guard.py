"""The SPARQL guard: SERVICE and updates refused from a parse, and workers with no network.

A listener on loopback counts every connection made to it; each test asserts it saw none where a
query tried to reach it, and the control test shows that an unguarded query does reach it (so a
count of zero means something).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pyoxigraph as ox
import pytest

from milcoop.graph.embedded.sparql_guard import MAX_NESTING, vet_query
from tests.loopback import Listener

#: Queries that each try to call a SERVICE, in every spelling, place, escape and comment form the
#: grammar allows. ``{url}`` is the listener.
SERVICE_QUERIES = [
    # The reported bypass: an escaped '#' in a prefixed name made the old guard read a comment.
    r"PREFIX ex: <http://e/> SELECT * WHERE { OPTIONAL { ?x ex:a\# ?y } SERVICE <{url}> { ?s ?p ?o } }",
    r"PREFIX ex: <http://e/> SELECT * WHERE { ?x ex:a\#b ?y . SERVICE <{url}> { ?s ?p ?o } }",
    r"PREFIX ex: <http://e/> SELECT * WHERE { ?x ex:a\' ?y . SERVICE <{url}> { ?s ?p ?o } }",
    "SELECT * WHERE { SERVICE <{url}> { ?s ?p ?o } }",
    "select * where { service <{url}> { ?s ?p ?o } }",
    "SELECT * WHERE { SeRvIcE SILENT <{url}> { ?s ?p ?o } }",
    r"SELECT * WHERE { \u0053ERVICE <{url}> { ?s ?p ?o } }",
    r"SELECT * WHERE { \U00000053\U00000045RVICE <{url}> { ?s ?p ?o } }",
    r"SELECT * WHERE { SERVICE <\u0068ttp://127.0.0.1:{port}/> { ?s ?p ?o } }",
    "SELECT * WHERE { VALUES ?u { <{url}> } SERVICE ?u { ?s ?p ?o } }",
    "SELECT * WHERE { ?a ?b ?c FILTER EXISTS { SERVICE <{url}> { ?s ?p ?o } } }",
    "SELECT * WHERE { ?a ?b ?c FILTER NOT EXISTS { SERVICE <{url}> { ?s ?p ?o } } }",
    "SELECT * WHERE { ?a ?b ?c MINUS { SERVICE <{url}> { ?a ?p ?o } } }",
    "SELECT * WHERE { { SELECT * WHERE { SERVICE <{url}> { ?s ?p ?o } } } }",
    "SELECT * WHERE { { ?a ?b ?c } UNION { SERVICE <{url}> { ?s ?p ?o } } }",
    "SELECT * WHERE { GRAPH ?g { SERVICE <{url}> { ?s ?p ?o } } }",
    "SELECT (EXISTS { SERVICE <{url}> { ?s ?p ?o } } AS ?x) WHERE { }",
    "ASK { SERVICE <{url}> { ?s ?p ?o } }",
    "CONSTRUCT { ?s ?p ?o } WHERE { SERVICE <{url}> { ?s ?p ?o } }",
    "DESCRIBE ?s WHERE { SERVICE <{url}> { ?s ?p ?o } }",
    # Comments, strings and IRIs holding '#', quotes and braces before the SERVICE.
    "SELECT * WHERE { # a comment with a brace }\n SERVICE <{url}> { ?s ?p ?o } }",
    "SELECT * WHERE { # comment\r SERVICE <{url}> { ?s ?p ?o } }",
    "SELECT * WHERE { ?s ?p 'a#b' . SERVICE <{url}> { ?s ?p ?o } }",
    'SELECT * WHERE { ?s ?p "a#b" . SERVICE <{url}> { ?s ?p ?o } }',
    r'SELECT * WHERE { ?s ?p "a\"#" . SERVICE <{url}> { ?s ?p ?o } }',
    "SELECT * WHERE { ?s ?p '''a # b''' . SERVICE <{url}> { ?s ?p ?o } }",
    'SELECT * WHERE { ?s ?p """a\n# b""" . SERVICE <{url}> { ?s ?p ?o } }',
    "SELECT * WHERE { ?s <http://e/#x> ?o . SERVICE <{url}> { ?s ?p ?o } }",
    "SELECT * WHERE {\tSERVICE\n<{url}>\n{ ?s ?p ?o } }",
    "PREFIX service: <http://e/> SELECT * WHERE { ?s service:x ?o . SERVICE <{url}> { ?s ?p ?o } }",
]


def _fill(query: str, listener: Listener) -> str:
    return query.replace("{url}", listener.url).replace("{port}", str(listener.port))


@pytest.mark.parametrize("query", SERVICE_QUERIES)
def test_every_form_of_service_is_refused_by_the_parse(query: str) -> None:
    refusal = vet_query(query.replace("{url}", "http://127.0.0.1:9/").replace("{port}", "9"))
    assert refusal is not None and refusal.code == "invalid"
    # Either the parse found the SERVICE, or the text is one the checker cannot read (refused too).
    assert "SERVICE" in refusal.message or "does not parse" in refusal.message


@pytest.mark.parametrize(
    "query",
    [
        'SELECT ?x WHERE { BIND("SERVICE" AS ?x) ?s <https://example.org/service> ?o }',
        "PREFIX service: <http://e/> SELECT * WHERE { ?s service:x ?o }",
        "SELECT ?service WHERE { ?service ?p ?o } # SERVICE <http://127.0.0.1:9/> { }",
        "SELECT * WHERE { ?s ?p ?o FILTER(?o = 'SERVICE <http://127.0.0.1:9/> {}') }",
        "ASK { ?s ?p ?o }",
    ],
)
def test_service_as_a_word_a_name_or_in_a_comment_is_not_refused(query: str) -> None:
    assert vet_query(query) is None


@pytest.mark.parametrize(
    "update",
    [
        "INSERT DATA { <urn:a> <urn:b> <urn:c> }",
        "PREFIX x: <urn:x#> # comment\n DELETE WHERE { ?s ?p ?o }",
        "LOAD <http://127.0.0.1:9/data.ttl>",
        "CLEAR ALL",
        "DROP SILENT GRAPH <urn:g>",
        r"\u0049NSERT DATA { <urn:a> <urn:b> <urn:c> }",
    ],
)
def test_updates_are_recognised_as_updates(update: str) -> None:
    refusal = vet_query(update)
    assert refusal is not None and refusal.code == "update" and "read-only" in refusal.message


def test_deep_nesting_is_refused_with_the_reason_quickly() -> None:
    for depth in (600, 20_000):
        refusal = vet_query("SELECT * WHERE " + "{" * depth + "?s ?p ?o" + "}" * depth)
        assert refusal is not None and refusal.code == "invalid"
        assert "nested too deeply" in refusal.message
    ok = 100
    assert vet_query("SELECT * WHERE " + "{" * ok + "?s ?p ?o" + "}" * ok) is None
    assert 2 * ok <= MAX_NESTING


_PROBE = textwrap.dedent(
    """
    import sys, socket
    import pyoxigraph as ox
    from milcoop.graph.embedded.sparql_guard import isolate_network
    port = int(sys.argv[1])
    if sys.argv[2] == "isolated":
        reason = isolate_network()
        print("isolation:", reason)
        if reason is not None:
            sys.exit(3)
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
        print("connect: reached")
    except OSError as exc:
        print("connect: refused", exc)
    try:
        list(ox.Store().query("SELECT * WHERE { SERVICE <http://127.0.0.1:%d/> { ?s ?p ?o } }" % port))
        print("service: answered")
    except Exception as exc:
        print("service: failed", exc)
    """
)


def _probe(listener: Listener, mode: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", _PROBE, str(listener.port), mode], capture_output=True, text=True, timeout=60
    )


def test_an_unguarded_service_query_does_reach_the_listener(listener: Listener) -> None:
    """The control: without the sandbox, Oxigraph does call out (so the tests below can fail)."""
    result = _probe(listener, "open")
    assert "connect: reached" in result.stdout, result.stdout + result.stderr
    assert listener.connections >= 2, result.stdout


def test_an_isolated_process_reaches_nothing_even_with_service(listener: Listener) -> None:
    result = _probe(listener, "isolated")
    if result.returncode == 3:
        pytest.skip(f"this platform offers no network namespace: {result.stdout.strip()}")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "connect: refused" in result.stdout and "service: failed" in result.stdout, result.stdout
    assert listener.connections == 0


def test_this_machine_can_isolate_workers() -> None:
    """Under CI (as root) the second wall must exist; elsewhere say why it does not."""
    result = subprocess.run(
        [sys.executable, "-c", "from milcoop.graph.embedded.sparql_guard import isolate_network; print(isolate_network())"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    reason = result.stdout.strip()
    if os.environ.get("CI") == "true":
        assert reason == "None", reason
    elif reason != "None":
        pytest.skip(f"no network namespace here: {reason}")


def test_an_oxigraph_store_in_this_process_is_untouched_by_the_guard() -> None:
    # vet_query only reads: the recursion limit it raises is restored.
    limit = sys.getrecursionlimit()
    vet_query("SELECT * WHERE { ?s ?p ?o }")
    assert sys.getrecursionlimit() == limit
    assert isinstance(ox.Store().query("ASK {}"), ox.QueryBoolean)

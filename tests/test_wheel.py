"""The wheel a user installs: self-contained, one top-level name, and it runs outside the checkout.

Builds the wheel from this source tree, installs it into a fresh virtual environment in a
temporary folder outside the repository, and runs `milcoop validate`, `milcoop load` and
`milcoop serve` from there on the bundled facts with no other files; the installed server's
flows answer must equal the checkout's.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from milcoop.loaders.curated import CompiledFacts
from milcoop.settings import Settings
from tests.api.stores import client_for, embedded_settings
from tests.conftest import ROOT
from tools.neo4j.neo4j_dev import free_port

pytestmark = pytest.mark.slow

FLOWS = "/v1/flows?from=DPRK&to=Russia&since=2023-01-01"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    # Build from a copy of the files git knows (links kept as links), as a clean clone holds them:
    # nothing untracked can slip into the wheel, and the build writes no build/ into the checkout.
    source = tmp_path_factory.mktemp("source")
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, check=True, capture_output=True, timeout=60,
    ).stdout.decode().split("\0")
    for name in filter(None, listed):
        origin, target = ROOT / name, source / name
        if not origin.is_symlink() and not origin.exists():
            continue  # deleted in the working tree
        target.parent.mkdir(parents=True, exist_ok=True)
        if origin.is_symlink():
            target.symlink_to(os.readlink(origin))
        else:
            shutil.copy2(origin, target)
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(out), str(source)],
        check=True,
        capture_output=True,
        text=True,
        timeout=600,
    )
    (built,) = out.glob("milcoop-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment with only the wheel (and its dependencies) installed."""
    venv = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", str(wheel)],
        check=True,
        timeout=900,
    )
    return venv / "bin"


def _environment(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MILCOOP_", "NEO4J_", "PYTHON"))}
    env["MILCOOP_DATA_DIR"] = str(data_dir)
    return env


def test_the_wheel_installs_only_the_milcoop_package(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    top_level = {name.split("/")[0] for name in names}
    assert {name for name in top_level if not name.endswith(".dist-info")} == {"milcoop"}
    # The runtime files are inside: the facts, the ontology, the context; the dev tooling is not.
    for needed in (
        "milcoop/data/dprk-russia.yaml",
        "milcoop/data/reference/states.yaml",
        "milcoop/data/LICENSE",
        "milcoop/ontology/milcoop.ttl",
        "milcoop/ontology/shapes.ttl",
        "milcoop/ontology/context.jsonld",
        "milcoop/graph/neo4j/cypher/queries.py",
        "milcoop/py.typed",
    ):
        assert needed in names, needed
    assert not any("neo4j_dev" in name or name.startswith("tools/") for name in names)


@pytest.fixture(scope="module")
def outside(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A working folder outside the repository."""
    folder = tmp_path_factory.mktemp("elsewhere")
    assert ROOT not in folder.resolve().parents
    return folder


def test_validate_and_load_run_from_the_wheel_alone(installed: Path, outside: Path) -> None:
    env = _environment(outside / "store")
    version = subprocess.run([installed / "milcoop", "--version"], cwd=outside, env=env, capture_output=True, text=True)
    assert version.returncode == 0 and version.stdout.startswith("milcoop "), version.stderr
    checked = subprocess.run([installed / "milcoop", "validate"], cwd=outside, env=env, capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "OK" in checked.stdout
    loaded = subprocess.run(
        [installed / "milcoop", "load", "--backend", "embedded"], cwd=outside, env=env, capture_output=True, text=True
    )
    assert loaded.returncode == 0, loaded.stdout + loaded.stderr
    assert "embedded store" in loaded.stdout
    # Asked for the development Neo4j, the installed command says what it needs instead.
    tooling = subprocess.run([installed / "milcoop", "neo4j", "start"], cwd=outside, env=env, capture_output=True,
                             text=True)
    assert tooling.returncode == 2 and "source checkout" in tooling.stderr and "NEO4J_URI" in tooling.stderr


@pytest.fixture
def served(installed: Path, outside: Path) -> Iterator[str]:
    port = free_port()
    env = _environment(outside / "served-store")
    process = subprocess.Popen(
        [installed / "milcoop", "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=outside,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert process.poll() is None, process.stdout.read().decode() if process.stdout else ""
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:
                    if json.load(response)["status"] == "ok":
                        break
            except OSError:
                pass
            assert time.monotonic() < deadline, "the installed milcoop did not start serving"
            time.sleep(0.5)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def test_serve_from_the_wheel_answers_flows_as_the_checkout_does(
    served: str, bundled: CompiledFacts, tmp_path: Path
) -> None:
    with urllib.request.urlopen(served + FLOWS, timeout=30) as response:
        installed_answer = json.load(response)
    settings: Settings = embedded_settings(tmp_path, bundled)
    with client_for(settings) as client:
        assert isinstance(client, TestClient)
        checkout_answer = client.get(FLOWS).json()
    assert installed_answer["items"], "the installed server found no DPRK->Russia flows"
    assert installed_answer == checkout_answer

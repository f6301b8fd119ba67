"""A bad environment variable is named in one line, by ``milcoop`` and by ``get_settings``."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from milcoop.cli import app
from milcoop.settings import SettingsError, environment_name, get_settings


@pytest.fixture(autouse=True)
def _fresh_settings() -> Iterator[None]:
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("MILCOOP_PORT", "0", "greater than or equal to 1"),
        ("MILCOOP_SHACL_ENGINE", "bogus", "'rust' or 'pyshacl'"),
        ("MILCOOP_WORKERS", "many", "valid integer"),
        ("MILCOOP_PUBLIC_BASE_URL", "ftp://example.org", "http:// or https://"),
        ("MILCOOP_SNAPSHOT_FORMATS", "nquads,bogus", "unknown format 'bogus'"),
    ],
)
def test_a_bad_variable_is_named_and_the_command_exits_2(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, says: str
) -> None:
    monkeypatch.setenv(variable, value)
    result = CliRunner().invoke(app, ["validate"])
    assert result.exit_code == 2
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert f"{variable}='{value}'" in result.output
    assert says in result.output
    assert "Traceback" not in result.output


def test_the_console_command_prints_no_traceback() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "milcoop", "serve"],
        env={"MILCOOP_PORT": "70000", "PATH": ""},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "MILCOOP_PORT='70000'" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


def test_get_settings_raises_a_settings_error_naming_each_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MILCOOP_PORT", "0")
    monkeypatch.setenv("MILCOOP_SHACL_ENGINE", "bogus")
    with pytest.raises(SettingsError) as caught:
        get_settings()
    assert "MILCOOP_PORT" in str(caught.value)
    assert "MILCOOP_SHACL_ENGINE" in str(caught.value)


def test_environment_names_follow_the_prefix_and_neo4j_conventions() -> None:
    assert environment_name("port") == "MILCOOP_PORT"
    assert environment_name("neo4j_uri") == "NEO4J_URI"
    assert environment_name("neo4j_password") == "NEO4J_PASSWORD"


def test_markup_in_a_value_is_printed_as_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MILCOOP_WORKERS", "[red]x[/red]")
    result = CliRunner().invoke(app, ["validate"])
    assert result.exit_code == 2
    assert "[red]x[/red]" in result.output

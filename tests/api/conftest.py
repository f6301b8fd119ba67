"""Fixtures shared by the API tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from milcoop.settings import Settings
from tests.api.stores import serving


@pytest.fixture()
def live_server(settings: Settings) -> Iterator[str]:
    """The API over the requesting module's ``settings``, served by uvicorn on a free port."""
    with serving(settings) as base:
        yield base

"""/docs and /redoc load every asset from the application: no CDN, no web fonts from elsewhere."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from milcoop.loaders.curated import CompiledFacts
from tests.api.stores import client_for, embedded_settings


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory, bundled: CompiledFacts) -> Iterator[TestClient]:
    with client_for(embedded_settings(tmp_path_factory.mktemp("docs"), bundled)) as test_client:
        yield test_client


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_the_docs_pages_load_only_local_assets(client: TestClient, page: str) -> None:
    response = client.get(page)
    assert response.status_code == 200
    html = response.text
    assert "cdn." not in html and "fonts.googleapis" not in html
    assets = re.findall(r"""(?:src|href)=["']([^"']+)["']""", html)
    assert assets, "the page loads nothing"
    for asset in assets:
        assert asset.startswith("/"), f"{page} loads {asset} from elsewhere"
        assert client.get(asset).status_code == 200, asset
    # The OpenAPI description the page renders is served here too.
    assert "/openapi.json" in html


def test_the_vendored_bundles_are_served_with_their_licences(client: TestClient) -> None:
    bundle = client.get("/docs/assets/swagger-ui/swagger-ui-bundle.js")
    assert bundle.status_code == 200 and "SwaggerUIBundle" in bundle.text
    assert "javascript" in bundle.headers["content-type"]
    assert "Redoc" in client.get("/docs/assets/redoc/redoc.standalone.js").text
    assert "Apache License" in client.get("/docs/assets/swagger-ui/LICENSE").text
    assert "MIT License" in client.get("/docs/assets/redoc/LICENSE").text

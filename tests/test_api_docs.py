import re

import pytest

pytestmark = pytest.mark.django_db


def test_the_api_docs_page_loads_its_scripts_from_this_server(client):
    # A self-hosted server may have no internet: no CDN in the docs page.
    page = client.get("/api/docs/").content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert any(src.endswith(".js") for src in sources)
    assert all(not src.startswith(("http://", "https://", "//")) for src in sources), sources
    script = next(src for src in sources if src.endswith(".js"))
    assert client.get(script).status_code == 200

"""What a page costs a visitor: bytes transferred on a first visit and on a repeat visit.

Fetches the page as a browser would (``Accept-Encoding: br, gzip``), then every stylesheet,
script, icon and image it names and every font or image those stylesheets name, and adds up
the bodies as sent (compressed). A repeat visit sends the page's ETag back and fetches again
only what was not sent as ``immutable``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from flask.testing import FlaskClient

BROWSER = {"Accept-Encoding": "br, gzip"}
CSS_URL = re.compile(r"""url\(\s*["']?([^"')]+)["']?\s*\)""")


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "link" and values.get("rel") in {"stylesheet", "icon", "preload"}:
            self.urls.append(values.get("href") or "")
        elif tag in {"script", "img"} and values.get("src"):
            self.urls.append(values["src"] or "")


@dataclass
class Weight:
    path: str
    page: int = 0
    files: dict[str, int] = field(default_factory=dict)
    repeat: int = 0
    immutable: set[str] = field(default_factory=set)

    @property
    def first_visit(self) -> int:
        return self.page + sum(self.files.values())


def _local(url: str) -> bool:
    return not url.startswith("data:") and not urlsplit(url).netloc


def measure(client: FlaskClient, path: str) -> Weight:
    """First-visit and repeat-visit bytes of ``path`` (a GET answered with 200)."""
    weight = Weight(path)
    response = client.get(path, headers=BROWSER)
    assert response.status_code == 200, (path, response.status_code)
    weight.page = len(response.data)
    html = response.get_data() if not response.headers.get("Content-Encoding") else None
    parser = _Links()
    parser.feed(_decoded(client, path) if html is None else html.decode("utf-8"))
    queue = [urljoin(path, url) for url in parser.urls if url and _local(url)]
    while queue:
        url = queue.pop(0)
        if url in weight.files:
            continue
        with client.get(url, headers=BROWSER) as asset:
            assert asset.status_code == 200, (url, asset.status_code)
            weight.files[url] = len(asset.data)
            if "immutable" in asset.headers.get("Cache-Control", ""):
                weight.immutable.add(url)
            if asset.mimetype == "text/css":
                text = client.get(url).get_data(as_text=True)  # uncompressed, to read it
                queue += [urljoin(url, ref) for ref in CSS_URL.findall(text) if _local(ref)]
    etag = response.headers.get("ETag")
    again = client.get(path, headers={**BROWSER, **({"If-None-Match": etag} if etag else {})})
    weight.repeat = len(again.data) + sum(
        size for url, size in weight.files.items() if url not in weight.immutable
    )
    return weight


def _decoded(client: FlaskClient, path: str) -> str:
    return client.get(path).get_data(as_text=True)

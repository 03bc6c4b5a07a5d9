"""Applications over HTTP against the live portal (built-in test provider), with the demo forms."""

from __future__ import annotations

import re

import requests

from tests.identity.conftest import TOKEN, Portal, log_in

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 120


class Applicant:
    """A browser logged in as one persona, with helpers for the form pages."""

    def __init__(self, portal: Portal, persona: str, path: str = "/anmelden") -> None:
        self.base = portal.url
        self.browser, self.html = log_in(portal.url, persona, path)

    def token(self, html: str) -> str:
        found = TOKEN.search(html)
        assert found, html[:400]
        return found.group(1)

    def get(self, path: str, **kwargs: object) -> requests.Response:
        return self.browser.get(self.base + path, **kwargs)  # type: ignore[arg-type]

    def begin(self, form_key: str) -> requests.Response:
        page = self.get(f"/antrag/{form_key}")
        assert page.status_code == 200, page.text[:300]
        return self.browser.post(
            self.base + f"/antrag/{form_key}/beginnen", data={"csrf_token": self.token(page.text)}
        )

    def post_step(
        self,
        page: requests.Response,
        data: dict[str, str],
        files: dict[str, tuple[str, bytes, str]] | None = None,
    ) -> requests.Response:
        action = re.search(r'<form method="post" action="([^"]+)"', page.text)
        assert action, page.text[:400]
        return self.browser.post(
            self.base + action.group(1).replace("&amp;", "&"),
            data={"csrf_token": self.token(page.text), "aktion": "weiter", **data},
            files=files,
        )


def public_id(url: str) -> str:
    found = re.search(r"/antraege/([0-9a-f]{32})", url)
    assert found, url
    return found.group(1)

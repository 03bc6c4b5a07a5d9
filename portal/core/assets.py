"""Static files: fingerprinted names, compressed once, cached by browsers for a year.

``url_for('static', filename='css/portal.css')`` yields ``/static/css/portal.<digest>.css``, the
digest being the first characters of the file's SHA-256 as served. A fingerprinted address names
one content forever, so it is sent with ``Cache-Control: public, max-age=31536000, immutable``; a
changed file gets a new address, and a page that is still cached somewhere with an old address
gets the current file with a short lifetime instead of a 404. Files are resolved through the
theme chain, so a theme's own file overrides the default theme's and has its own digest.

Stylesheets name fonts and images with relative ``url(...)``; those references are rewritten to
the fingerprinted names too, so the stylesheet's digest changes when a font it uses changes.
Text files are compressed once per process (Brotli and gzip at their highest levels) and kept
in memory with their digest; the whole set is a few hundred kilobytes. In debug mode a changed
file on disk is noticed on the next request.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
import posixpath
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

import brotli
from flask import Flask, abort, request
from werkzeug.wrappers import Response

from portal.core.themes import ThemeChain

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "public, no-cache"
DIGEST_LENGTH = 12
FINGERPRINT = re.compile(r"^(?P<stem>.+)\.(?P<digest>[0-9a-f]{12})(?P<ext>\.[A-Za-z0-9]+)$")
CSS_URL = re.compile(r"""url\(\s*(?P<quote>["']?)(?P<ref>[^"')]+)(?P=quote)\s*\)""")
COMPRESSIBLE = frozenset({".css", ".js", ".svg", ".json", ".txt", ".xml"})
TYPES = {".woff2": "font/woff2", ".woff": "font/woff", ".svg": "image/svg+xml"}
ENCODINGS = ("br", "gzip")


def fingerprinted(name: str, digest: str) -> str:
    stem, ext = posixpath.splitext(name)
    return f"{stem}.{digest}{ext}"


@dataclass(frozen=True)
class Asset:
    name: str
    body: bytes
    mimetype: str
    digest: str
    stamp: tuple[tuple[str, int], ...]  # (path, mtime) of the file and of those it names
    encoded: dict[str, bytes] = field(default_factory=dict)

    @property
    def url_name(self) -> str:
        return fingerprinted(self.name, self.digest)


class AssetStore:
    """The theme chain's static files, read, rewritten, digested and compressed on first use."""

    def __init__(self, themes: ThemeChain, watch: bool = False) -> None:
        self.themes = themes
        self.watch = watch
        self._assets: dict[str, Asset | None] = {}
        self._lock = threading.RLock()

    def get(self, name: str) -> Asset | None:
        """The file the theme chain serves under ``name``, or None."""
        if name in self._assets:
            cached = self._assets[name]
            if not (self.watch and self._stale(name, cached)):
                return cached
        with self._lock:
            asset = self._load(name, set())
            self._assets[name] = asset
            return asset

    def url_name(self, name: str) -> str:
        asset = self.get(name)
        return asset.url_name if asset else name

    def lookup(self, requested: str) -> tuple[Asset, bool] | None:
        """The asset for a requested name, and whether the name's digest is the current one."""
        asset = self.get(requested)
        if asset is not None:
            return asset, False
        match = FINGERPRINT.match(requested)
        if match is None:
            return None
        asset = self.get(match["stem"] + match["ext"])
        if asset is None:
            return None
        return asset, asset.digest == match["digest"]

    def _stale(self, name: str, asset: Asset | None) -> bool:
        if asset is None:
            return self.themes.find_static(name) is not None
        if self._stamp(name) != asset.stamp[:1]:
            return True
        return any(not Path(path).is_file() or Path(path).stat().st_mtime_ns != mtime
                   for path, mtime in asset.stamp[1:])  # fmt: skip

    def _stamp(self, name: str) -> tuple[tuple[str, int], ...]:
        found = self.themes.find_static(name)
        if found is None:
            return ()
        path = found[0] / found[1]
        return ((str(path), path.stat().st_mtime_ns),)

    def _load(self, name: str, resolving: set[str]) -> Asset | None:
        found = self.themes.find_static(name)
        if found is None:
            return None
        path: Path = found[0] / found[1]
        stamp = self._stamp(name)
        body = path.read_bytes()
        ext = posixpath.splitext(name)[1].lower()
        if ext == ".css":
            stamp, body = self._rewrite_css(name, body, stamp, resolving | {name})
        mimetype = TYPES.get(ext) or mimetypes.guess_type(name)[0] or "application/octet-stream"
        if mimetype.startswith("text/") or mimetype.endswith(("javascript", "json")):
            mimetype += "; charset=utf-8"
        encoded: dict[str, bytes] = {}
        if ext in COMPRESSIBLE and len(body) > 256:
            encoded = {
                "br": brotli.compress(body, quality=11),
                "gzip": gzip.compress(body, compresslevel=9, mtime=0),
            }
        digest = hashlib.sha256(body).hexdigest()[:DIGEST_LENGTH]
        return Asset(name, body, mimetype, digest, stamp, encoded)

    def _rewrite_css(
        self, name: str, body: bytes, stamp: tuple[tuple[str, int], ...], resolving: set[str]
    ) -> tuple[tuple[tuple[str, int], ...], bytes]:
        """Point relative ``url(...)`` references at fingerprinted names."""
        folder = posixpath.dirname(name)
        stamps = list(stamp)

        def replace(match: re.Match[str]) -> str:
            ref = match["ref"].strip()
            if re.match(r"^(?:[a-z][a-z0-9+.-]*:|/|#)", ref, re.IGNORECASE):
                return match[0]  # data:, absolute and fragment references stay
            path, _, suffix = ref.partition("?")
            target = posixpath.normpath(posixpath.join(folder, path))
            if target.startswith("../") or target in resolving:
                return match[0]
            asset = self._assets.get(target) or self._load(target, resolving)
            if asset is None:
                return match[0]
            self._assets[target] = asset
            stamps.extend(asset.stamp)
            new = fingerprinted(posixpath.basename(path), asset.digest)
            relative = posixpath.join(posixpath.dirname(path), new) if "/" in path else new
            return f'url("{relative}{"?" + suffix if suffix else ""}")'

        text = CSS_URL.sub(replace, body.decode("utf-8"))
        return tuple(stamps), text.encode("utf-8")


def asset_store(app: Flask) -> AssetStore:
    store: AssetStore = app.extensions["portal.assets"]
    return store


def init_assets(app: Flask) -> None:
    """The ``static`` endpoint and fingerprinted ``url_for('static', …)`` addresses."""
    store = AssetStore(app.extensions["portal.themes"], watch=app.debug)
    app.extensions["portal.assets"] = store

    def static(filename: str) -> Response:
        found = store.lookup(filename)
        if found is None:
            abort(404)
        asset, current = found
        encoding = (
            request.accept_encodings.best_match(list(asset.encoded)) if asset.encoded else None
        )
        body = asset.encoded[encoding] if encoding else asset.body
        response = Response(body, mimetype=asset.mimetype)
        if encoding:
            response.headers["Content-Encoding"] = encoding
        if asset.encoded:
            response.headers["Vary"] = "Accept-Encoding"
        response.headers["Cache-Control"] = IMMUTABLE if current else REVALIDATE
        response.set_etag(f"{asset.digest}-{encoding or 'identity'}")
        return response.make_conditional(request)

    app.add_url_rule("/static/<path:filename>", endpoint="static", view_func=static)

    @app.url_defaults
    def fingerprint(endpoint: str, values: dict[str, str]) -> None:
        if endpoint == "static" and "filename" in values:
            values["filename"] = store.url_name(values["filename"])

"""File storage behind a small interface, encrypted at rest.

``FileStore`` is what the domains use: ``put``, ``get``, ``delete`` by key. The embedded default
keeps files in a local folder (``PORTAL_STORAGE_PATH``); production may use an S3-compatible
bucket (``PORTAL_STORAGE_S3_*``). Every file is encrypted with Fernet
(AES-128-CBC + HMAC-SHA256) before it touches the disk. ``PORTAL_STORAGE_KEYS`` lists keys,
newest first: the first encrypts, all decrypt, so keys can be rotated (``rotate`` re-encrypts a
file under the newest key).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from pathlib import Path
from typing import Any, Protocol

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import Flask, current_app

from portal.config import ConfigError, Settings


class StoredFileMissingError(LookupError):
    """No file under that key (or it cannot be decrypted with any configured key)."""


class FileStore(Protocol):
    def put(self, key: str, data: bytes) -> None: ...

    def get(self, key: str) -> bytes: ...

    def delete(self, key: str) -> None: ...

    def rotate(self, key: str) -> None: ...


def _raw_keys(settings: Settings) -> list[str]:
    raw = [item.strip() for item in settings.storage_keys.split(",") if item.strip()]
    if not raw:
        # Development and tests: a key derived from the secret key (production refuses this).
        digest = hashlib.sha256(f"storage:{settings.secret_key}".encode()).digest()
        raw = [base64.urlsafe_b64encode(digest).decode()]
    return raw


def index_key_for(settings: Settings) -> bytes:
    """The key of blind search indexes (keyed hashes of words): derived from the newest storage
    key, so ``storage rotate`` changes it too and rebuilds the indexes."""
    return hashlib.sha256(b"blind-index:" + _raw_keys(settings)[0].encode()).digest()


def index_key() -> bytes:
    found: bytes = current_app.extensions["index_key"]
    return found


def fernet_for(settings: Settings) -> MultiFernet:
    raw = _raw_keys(settings)
    try:
        return MultiFernet([Fernet(item.encode()) for item in raw])
    except ValueError:
        raise ConfigError(
            "PORTAL_STORAGE_KEYS: jeder Schlüssel muss ein Fernet-Schlüssel sein "
            "(32 Bytes, URL-sicheres Base64)."
        ) from None


class LocalFileStore:
    """Encrypted files in a folder; keys become nested paths (``ab/cd/…``)."""

    def __init__(self, root: Path, fernet: MultiFernet) -> None:
        self.root = root
        self.fernet = fernet

    def _path(self, key: str) -> Path:
        if not key or "/" in key or "\\" in key or key.startswith("."):
            raise ValueError(f"invalid storage key {key!r}")
        return self.root / key[:2] / key

    def put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{key}.{secrets.token_hex(4)}")
        temporary.write_bytes(self.fernet.encrypt(data))
        temporary.replace(path)  # readers never see half a file

    def get(self, key: str) -> bytes:
        path = self._path(key)
        try:
            return self.fernet.decrypt(path.read_bytes())
        except (FileNotFoundError, InvalidToken):
            raise StoredFileMissingError(key) from None

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def rotate(self, key: str) -> None:
        path = self._path(key)
        path.write_bytes(self.fernet.rotate(path.read_bytes()))


class S3FileStore:
    """Encrypted objects in an S3-compatible bucket (AWS, MinIO, Ceph, IONOS …): what several
    app servers share. Credentials come from the usual ``AWS_*`` environment variables."""

    def __init__(self, client: Any, bucket: str, prefix: str, fernet: MultiFernet) -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix
        self.fernet = fernet

    def _key(self, key: str) -> str:
        if not key or "/" in key or key.startswith("."):
            raise ValueError(f"invalid storage key {key!r}")
        return f"{self.prefix}{key}"

    def _raw(self, key: str) -> bytes:
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self._key(key))
        except self.client.exceptions.NoSuchKey:
            raise StoredFileMissingError(key) from None
        body: bytes = answer["Body"].read()
        return body

    def put(self, key: str, data: bytes) -> None:
        self.client.put_object(
            Bucket=self.bucket, Key=self._key(key), Body=self.fernet.encrypt(data)
        )

    def get(self, key: str) -> bytes:
        try:
            return self.fernet.decrypt(self._raw(key))
        except InvalidToken:
            raise StoredFileMissingError(key) from None

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._key(key))

    def rotate(self, key: str) -> None:
        self.client.put_object(
            Bucket=self.bucket, Key=self._key(key), Body=self.fernet.rotate(self._raw(key))
        )


def new_key() -> str:
    return secrets.token_hex(16)


def file_store() -> FileStore:
    store: FileStore = current_app.extensions["file_store"]
    return store


def build_store(settings: Settings, fernet: MultiFernet | None = None) -> FileStore:
    fernet = fernet or fernet_for(settings)
    if settings.storage_s3_bucket:
        import boto3  # noqa: PLC0415 - only where object storage is used

        client = boto3.client(
            "s3",
            endpoint_url=settings.storage_s3_endpoint or None,
            region_name=settings.storage_s3_region or None,
        )
        return S3FileStore(client, settings.storage_s3_bucket, settings.storage_s3_prefix, fernet)
    return LocalFileStore(Path(settings.storage_path), fernet)


def cipher() -> MultiFernet:
    """The app's storage cipher, for data kept in the database (message bodies)."""
    found: MultiFernet = current_app.extensions["storage_cipher"]
    return found


def init_storage(app: Flask) -> None:
    fernet = fernet_for(app.config["PORTAL"])
    app.extensions["storage_cipher"] = fernet
    app.extensions["index_key"] = index_key_for(app.config["PORTAL"])
    app.extensions["file_store"] = build_store(app.config["PORTAL"], fernet)

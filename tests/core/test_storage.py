"""Files at rest are encrypted; keys can be rotated; a wrong key reads nothing."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from portal.config import ConfigError, Settings
from portal.core.storage import (
    LocalFileStore,
    S3FileStore,
    StoredFileMissingError,
    build_store,
    fernet_for,
)

SECRET = b"%PDF-1.7 Personalausweis Erika Mustermann"


def _store(tmp_path: Path, keys: str) -> LocalFileStore:
    settings = Settings(secret_key="s" * 40, storage_keys=keys)
    return LocalFileStore(tmp_path, fernet_for(settings))


def test_files_are_encrypted_on_disk(tmp_path: Path) -> None:
    store = _store(tmp_path, Fernet.generate_key().decode())
    store.put("abc123", SECRET)
    on_disk = (tmp_path / "ab" / "abc123").read_bytes()
    assert SECRET not in on_disk
    assert b"Erika" not in on_disk
    assert store.get("abc123") == SECRET
    store.delete("abc123")
    with pytest.raises(StoredFileMissingError):
        store.get("abc123")


def test_key_rotation(tmp_path: Path) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    _store(tmp_path, old).put("f1", SECRET)
    rotated = _store(tmp_path, f"{new},{old}")
    assert rotated.get("f1") == SECRET  # old files still readable
    rotated.rotate("f1")
    assert _store(tmp_path, new).get("f1") == SECRET  # now under the new key alone
    with pytest.raises(StoredFileMissingError):
        _store(tmp_path, old).get("f1")


def test_keys_must_be_fernet_keys(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="PORTAL_STORAGE_KEYS"):
        _store(tmp_path, "zu-kurz")


def test_storage_keys_never_escape_the_folder(tmp_path: Path) -> None:
    store = _store(tmp_path, "")
    for key in ("../x", "a/b", ".hidden", ""):
        with pytest.raises(ValueError, match="invalid storage key"):
            store.put(key, b"x")


def test_an_s3_bucket_holds_the_same_encrypted_files(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from moto import mock_aws

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    with mock_aws():
        settings = Settings(
            secret_key="s" * 40,
            storage_keys=old,
            storage_s3_bucket="portal-files",
            storage_s3_region="eu-central-1",
            instance_path=str(tmp_path),
        )
        store = build_store(settings)
        assert isinstance(store, S3FileStore)
        store.client.create_bucket(
            Bucket="portal-files",
            CreateBucketConfiguration={"LocationConstraint": "eu-central-1"},
        )
        store.put("f1", SECRET)
        raw = store.client.get_object(Bucket="portal-files", Key="serviceportal/f1")["Body"].read()
        assert b"Erika" not in raw
        assert store.get("f1") == SECRET
        rotated = build_store(dataclasses.replace(settings, storage_keys=f"{new},{old}"))
        rotated.rotate("f1")
        assert build_store(dataclasses.replace(settings, storage_keys=new)).get("f1") == SECRET
        store.delete("f1")
        with pytest.raises(StoredFileMissingError):
            store.get("f1")

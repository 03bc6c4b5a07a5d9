"""Files at rest are encrypted; keys can be rotated; a wrong key reads nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from portal.config import ConfigError, Settings
from portal.core.storage import LocalFileStore, StoredFileMissingError, fernet_for

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

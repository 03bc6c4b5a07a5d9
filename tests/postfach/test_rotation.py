"""Key rotation: after ``storage rotate`` the old key can go; files and messages stay readable."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import select

from portal import create_app
from portal.applications import services as applications
from portal.catalog.models import Office
from portal.core.storage import file_store
from portal.extensions import db
from portal.identity.models import Person
from portal.postfach import services as postfach
from tests.conftest import dispose_engines, empty_database

PDF = b"%PDF-1.4 Impfpass\n%%EOF\n"
DEFINITIONS = Path(__file__).resolve().parents[2] / "portal" / "applications" / "definitions"


def test_rotating_the_storage_key(
    tmp_path: Path, settings_for: Callable[..., dict[str, Any]]
) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    files = str(tmp_path / "files")
    with empty_database(tmp_path, "portal_rotation") as url:

        def app_with(keys: str) -> Flask:
            return create_app(settings_for(database_url=url, storage_keys=keys, storage_path=files))

        first = app_with(old)
        with first.app_context():
            upgrade(directory=str(first.config["PORTAL"].migrations_dir))
            person = Person(issuer="i", subject="rotation", sources={})
            office = Office(
                source="test", source_id="steueramt", name="Steueramt", slug="steueramt",
                content_hash="x",
            )  # fmt: skip
            db.session.add_all([person, office])
            db.session.flush()
            row, _ = applications.store_definition(
                json.loads((DEFINITIONS / "hund-anmelden.json").read_text("utf-8"))
            )
            draft = applications.start_draft(row, person, None)
            upload = applications.attach_file(
                draft,
                "abmeldung",
                "bescheinigung",
                filename="a.pdf",
                content_type="application/pdf",
                data=PDF,
            )
            thread = postfach.new_thread(person, None, office.id, "Frage")
            message = postfach.post(
                thread,
                "Vertraulich",
                from_office=False,
                attachments=[("b.pdf", "application/pdf", PDF)],
            )
            keys = (upload.storage_key, message.attachments[0].storage_key)
            message_id = message.id
            db.session.commit()
        dispose_engines(first)

        both = app_with(f"{new},{old}")
        result = both.test_cli_runner().invoke(args=["storage", "rotate"])
        assert result.exit_code == 0, result.output
        assert "Antragsdateien: 1 neu verschlüsselt" in result.output
        assert "Postfach-Nachrichten: 1 neu verschlüsselt" in result.output
        assert "Postfach-Anlagen: 1 neu verschlüsselt" in result.output
        assert "Postfach-Suchindex: 1 neu verschlüsselt" in result.output
        dispose_engines(both)

        only_new = app_with(new)
        with only_new.app_context():
            from portal.postfach.models import Message

            stored = db.session.get(Message, message_id)
            assert stored is not None
            assert postfach.unseal(stored.body) == "Vertraulich"
            assert all(file_store().get(key) == PDF for key in keys)
            # The blind index follows the new key: the word is still found.
            mine = postfach.owner_clause(db.session.scalars(select(Person)).one(), None)
            found = postfach.search(mine, "vertraulich", unread_from_office=True)
            assert [thread.id for thread in found.threads] == [stored.thread_id]
        dispose_engines(only_new)

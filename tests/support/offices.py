"""Offices for tests that need one (the catalogue demo is not loaded there)."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from portal.catalog.models import Office
from portal.extensions import db

NAMES = {
    "buergerbuero": "Bürgerbüro",
    "kfz": "Kfz-Zulassungsstelle",
}


def ensure_office(app: Flask, slug: str) -> int:
    """The test office with key and URL name ``slug``, made if missing; returns its id.

    Named after the slug ("Steueramt"), or as in the demo where the slug is not a name. Its
    key (``source_id``) is the slug, which is how the demo forms and ``staff grant`` name it,
    whatever offices another catalogue (München) brought."""
    with app.app_context():
        office = db.session.scalar(select(Office).filter_by(source="test", source_id=slug))
        if office is None:
            office = Office(
                source="test",
                source_id=slug,
                name=NAMES.get(slug, slug.title()),
                slug=slug,
                content_hash="x",
            )
            db.session.add(office)
            db.session.commit()
        return office.id

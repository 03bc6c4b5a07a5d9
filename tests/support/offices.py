"""Offices for tests that need one (the catalogue demo is not loaded there)."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from portal.catalog.models import Office
from portal.extensions import db


def ensure_office(app: Flask, slug: str) -> int:
    """The office with ``slug`` (named after it), made if missing; returns its id."""
    with app.app_context():
        office = db.session.scalar(select(Office).filter_by(slug=slug))
        if office is None:
            office = Office(
                source="test", source_id=slug, name=slug.title(), slug=slug, content_hash="x"
            )
            db.session.add(office)
            db.session.commit()
        return office.id

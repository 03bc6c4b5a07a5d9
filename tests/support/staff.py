"""Staff accounts for tests: a role through the real CLI, bound anew at the next login."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from portal.catalog.offices import office_by_reference
from portal.extensions import db
from portal.identity.models import StaffAccount


def grant_staff(app: Flask, email: str, role: str, office: str | None = None) -> None:
    """Give ``email`` the role (for the office with slug ``office``; administrators: for all).

    The account forgets which login it was bound to: each test server is another issuer (its
    port), and the first login after this binds it again."""
    with app.app_context():
        staff = db.session.scalar(select(StaffAccount).filter_by(email=email))
        if staff is not None:
            staff.issuer = staff.subject = None
            db.session.commit()
    args = (
        ["staff", "grant", email, "--role", role, "--office", office]
        if office
        else ["staff", "create-admin", email]
    )
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 0, result.output


def clerk_only_of(app: Flask, email: str, office: str) -> None:
    """Make ``email`` a clerk of ``office`` and of no other office."""
    grant_staff(app, email, "sachbearbeitung", office)
    with app.app_context():
        staff = db.session.scalars(select(StaffAccount).filter_by(email=email)).one()
        mine = office_by_reference(office).id
        staff.roles = [item for item in staff.roles if item.office_id == mine]
        db.session.commit()

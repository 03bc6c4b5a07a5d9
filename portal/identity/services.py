"""Accounts from verified claims: the Nutzerkonto, organisations and their members, staff."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, func, select

from portal.core.db import utcnow
from portal.core.signals import account_deleting, emit
from portal.extensions import db
from portal.identity.models import (
    PERSON_FIELDS,
    LoginSession,
    Membership,
    Organisation,
    OrgRole,
    Person,
    StaffAccount,
    StaffAssignment,
    StaffRole,
)
from portal.identity.oidc import LoginError, Provider, claim


def _text(value: Any, limit: int) -> str:
    if value is None or isinstance(value, dict | list):
        return ""
    return str(value).strip()[:limit]


def person_from_claims(provider: Provider, issuer: str, claims: dict[str, Any]) -> Person:
    """Find or create the Nutzerkonto for a login and refresh its attributes."""
    subject = _text(claims.get("sub"), 255)
    if not subject:
        raise LoginError(_("Der Identitätsanbieter hat keine Kennung übermittelt."))
    person = db.session.scalar(
        select(Person).where(Person.issuer == issuer, Person.subject == subject)
    )
    if person is None:
        person = Person(issuer=issuer, subject=subject, sources={})
        db.session.add(person)
    now = utcnow()
    sources = dict(person.sources or {})
    for field in PERSON_FIELDS:
        path = provider.claims.get(field)
        value = claim(claims, path) if path else None
        if value is None:
            continue
        column = Person.__table__.columns[field]
        setattr(person, field, _text(value, column.type.length or 200))
        sources[field] = {"claim": path, "issuer": issuer, "at": now.isoformat()}
    person.sources = sources
    person.last_login_at = now
    db.session.flush()
    return person


def organisation_from_claims(
    provider: Provider, issuer: str, claims: dict[str, Any], person: Person
) -> tuple[Organisation, Membership]:
    """The organisation a login acts for, and the person's membership in it."""
    external_id = _text(claim(claims, provider.claims["organisation_id"]), 255)
    if not external_id:
        raise LoginError(
            _(
                "Das Organisationskonto hat keine Organisation übermittelt. Bitte melden Sie sich "
                "mit dem Zugang Ihres Unternehmens an."
            )
        )
    organisation = db.session.scalar(
        select(Organisation).where(
            Organisation.issuer == issuer, Organisation.external_id == external_id
        )
    )
    if organisation is None:
        organisation = Organisation(issuer=issuer, external_id=external_id)
        db.session.add(organisation)
    for field in ("name", "street", "postal_code", "locality", "country"):
        value = claim(claims, provider.claims[f"organisation_{field}"])
        if value is not None:
            setattr(organisation, field, _text(value, 300))
    db.session.flush()
    membership = db.session.scalar(
        select(Membership).where(
            Membership.organisation_id == organisation.id, Membership.person_id == person.id
        )
    )
    stated = _text(claim(claims, provider.claims["organisation_role"]), 40).lower()
    if stated in (OrgRole.ADMINISTRATION.value, "admin", "administrator"):
        asserted: OrgRole | None = OrgRole.ADMINISTRATION
    elif stated:
        asserted = OrgRole.MEMBER
    else:
        asserted = None
    if membership is None:
        has_members = db.session.scalar(
            select(func.count())
            .select_from(Membership)
            .where(Membership.organisation_id == organisation.id)
        )
        # The provider may say who administers; otherwise the first member does.
        role = asserted or (OrgRole.MEMBER if has_members else OrgRole.ADMINISTRATION)
        membership = Membership(organisation=organisation, person=person, role=role)
        db.session.add(membership)
    elif asserted is not None:
        membership.role = asserted  # the provider's word at each login, also a withdrawal
    # The provider asserts one organisation per login: memberships it no longer asserts (other
    # organisations of the same provider) are gone until it asserts them again.
    for stale in list(person.memberships):
        if stale.organisation_id != organisation.id and stale.organisation.issuer == issuer:
            person.memberships.remove(stale)
    db.session.flush()
    return organisation, membership


def membership_of(person_id: int, organisation_id: int) -> Membership | None:
    return db.session.scalar(
        select(Membership).where(
            Membership.person_id == person_id, Membership.organisation_id == organisation_id
        )
    )


def export_person(person: Person) -> dict[str, Any]:
    """Everything the portal stores about the person (DSGVO Art. 15/20), as plain data."""
    return {
        "exportiert_am": utcnow().isoformat(),
        "konto": {
            "angelegt_am": person.created_at.isoformat(),
            "letzte_anmeldung": person.last_login_at.isoformat() if person.last_login_at else None,
            "identitaetsanbieter": person.issuer,
        },
        "angaben": {field: getattr(person, field) for field in PERSON_FIELDS},
        "herkunft": person.sources,
        "organisationen": [
            {
                "name": membership.organisation.name,
                "kennung": membership.organisation.external_id,
                "rolle": membership.role.value,
            }
            for membership in person.memberships
        ],
        # What other domains keep about the person (appointments, suggestion choices): each
        # registers ``(key, function of the person)`` in ``person_export``.
        **{
            key: collect(person) for key, collect in current_app.extensions.get("person_export", [])
        },
    }


def delete_person(person: Person) -> None:
    """Delete the account. Other domains clean up first (``account_deleting``): drafts and
    general enquiries go; submitted applications stay with the office, which must keep them."""
    emit(account_deleting, person=person)
    db.session.execute(delete(LoginSession).where(LoginSession.person_id == person.id))
    db.session.delete(person)
    db.session.flush()


def staff_from_claims(issuer: str, claims: dict[str, Any]) -> StaffAccount:
    """The staff account for a login: matched by subject, or on first login by e-mail.

    Staff accounts are made by administrators (or the CLI); a login alone never creates one.
    The first login binds an account by e-mail only when the provider says it verified the
    address (``email_verified``): an unverified address could be anyone's.
    """
    subject = _text(claims.get("sub"), 255)
    email = _text(claims.get("email"), 320).lower() if claims.get("email_verified") is True else ""
    staff: StaffAccount | None = db.session.scalar(
        select(StaffAccount).where(StaffAccount.issuer == issuer, StaffAccount.subject == subject)
    )
    if staff is None and email:
        staff = db.session.scalar(
            select(StaffAccount).where(
                func.lower(StaffAccount.email) == email, StaffAccount.subject.is_(None)
            )
        )
        if staff is not None:
            staff.issuer, staff.subject = issuer, subject
    if staff is None or not staff.active:
        raise LoginError(
            _(
                "Für diese Anmeldung gibt es kein Verwaltungskonto. Bitte wenden Sie sich an die "
                "Administration Ihres Amtes."
            )
        )
    name = " ".join(
        _text(claims.get(part), 100) for part in ("given_name", "family_name") if claims.get(part)
    )
    staff.name = name or staff.name
    staff.last_login_at = utcnow()
    db.session.flush()
    return staff


def staff_account(email: str) -> StaffAccount | None:
    found: StaffAccount | None = db.session.scalar(
        select(StaffAccount).where(func.lower(StaffAccount.email) == email.strip().lower())
    )
    return found


def grant_staff_role(
    email: str, role: StaffRole, office_id: int | None = None, *, name: str = ""
) -> StaffAccount:
    """Make (or find) the staff account for ``email`` and give it ``role`` for one office
    (``None``: every office). The account is bound to a login at its first login by e-mail."""
    if role != StaffRole.ADMINISTRATION and office_id is None:
        raise ValueError("Diese Rolle gilt immer für ein bestimmtes Amt.")
    staff = staff_account(email)
    if staff is None:
        staff = StaffAccount(email=email.strip().lower(), name=name.strip(), active=True, roles=[])
        db.session.add(staff)
    elif name and not staff.name:
        staff.name = name.strip()
    if not any(item.role == role and item.office_id == office_id for item in staff.roles):
        staff.roles.append(StaffAssignment(role=role, office_id=office_id))
    db.session.flush()
    return staff


def revoke_staff_role(staff: StaffAccount, assignment_id: int) -> None:
    staff.roles = [item for item in staff.roles if item.id != assignment_id]
    db.session.flush()


def set_member_role(organisation: Organisation, membership_id: int, role: OrgRole) -> Membership:
    """Change a member's role; an organisation always keeps at least one administrator."""
    membership = next((item for item in organisation.members if item.id == membership_id), None)
    if membership is None:
        raise LookupError(membership_id)
    admins = [item for item in organisation.members if item.role == OrgRole.ADMINISTRATION]
    if role != OrgRole.ADMINISTRATION and admins == [membership]:
        raise ValueError(
            _("Die Organisation braucht mindestens eine Person mit der Rolle Administration.")
        )
    membership.role = role
    db.session.flush()
    return membership

"""Acting for an organisation needs a current organisation login that asserts it."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session, scoped_session

from portal.extensions import db
from portal.identity import services
from portal.identity.models import Membership, Organisation, OrgRole, Person
from portal.identity.oidc import ORGANISATION, providers_from
from tests.applications.conftest import Applicant
from tests.factories import make_organisation, make_person
from tests.identity.conftest import TOKEN, Portal
from tests.postfach.test_postfach import write_to_office
from tests.support.offices import ensure_office


def test_a_citizen_login_after_an_organisation_login_cannot_act_for_it(
    portal: Portal,
) -> None:
    """Defect: after one Organisationskonto login, Frieda's plain citizen login could switch to
    "für Musterbau GmbH" and read the company's Postfach, forever."""
    ensure_office(portal.app, "ordnungsamt")
    as_company = Applicant(portal, "firma", "/anmelden/organisation")
    sent = write_to_office(as_company, "ordnungsamt", "Firmengeheimnis", "Nur für Musterbau")
    company_thread = sent.url.rstrip("/").rsplit("/", 1)[1]
    with portal.app.app_context():
        musterbau = db.session.scalars(
            select(Organisation).filter_by(external_id="DE-UK-4711")
        ).first()
        assert musterbau is not None
        organisation_id = musterbau.id

    herself = Applicant(portal, "firma")  # the same person, citizen login
    account = herself.get("/konto").text
    assert "mit deren Organisationskonto an" in account
    assert f'value="{organisation_id}"' not in account
    token = TOKEN.search(account)
    assert token
    switched = herself.browser.post(
        herself.base + "/konto/handeln-fuer",
        data={"csrf_token": token.group(1), "acting": str(organisation_id)},
    )
    assert switched.status_code in (403, 422)
    assert herself.get(f"/postfach/{company_thread}").status_code == 404
    assert "Firmengeheimnis" not in herself.get("/postfach").text

    # The organisation login itself may switch to herself and back.
    page = as_company.get("/konto").text
    assert re.search(rf'value="{organisation_id}"', page)
    assert as_company.get(f"/postfach/{company_thread}").status_code == 200


def _claims(organisation_id: str, role: str | None = None) -> dict[str, Any]:
    organisation: dict[str, Any] = {"id": organisation_id, "name": f"Firma {organisation_id}"}
    if role:
        organisation["role"] = role
    return {"sub": "frieda", "organisation": organisation}


def test_memberships_follow_what_the_provider_asserts(
    app: Flask, db_session: scoped_session[Session]
) -> None:
    provider = providers_from(app.config["PORTAL"])[ORGANISATION]
    with app.test_request_context():
        frieda = make_person(issuer="https://idp.test")
        old = make_organisation(frieda, issuer="https://idp.test", external_id="ALT-1")
        elsewhere = make_organisation(frieda, issuer="https://anderer.idp", external_id="X-9")
        organisation, membership = services.organisation_from_claims(
            provider, "https://idp.test", _claims("NEU-2", "administration"), frieda
        )
        assert membership.role == OrgRole.ADMINISTRATION
        kept = {m.organisation_id for m in _memberships(frieda)}
        # Not asserted by this provider any more: gone. Another provider's: not ours to judge.
        assert old.id not in kept
        assert {organisation.id, elsewhere.id} <= kept
        # The provider withdraws the administration at the next login.
        _organisation, again = services.organisation_from_claims(
            provider, "https://idp.test", _claims("NEU-2", "mitglied"), frieda
        )
        assert again.role == OrgRole.MEMBER


def _memberships(person: Person) -> list[Membership]:
    return list(db.session.scalars(select(Membership).filter_by(person_id=person.id)))

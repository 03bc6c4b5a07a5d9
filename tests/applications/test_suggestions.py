"""After a submission: the next services of its Lebenslage on the confirmation page and in the
account, until the citizen ticks them off or dismisses them."""

from __future__ import annotations

import re
import secrets

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, scoped_session

from portal.applications.models import SuggestionState
from portal.applications.suggestions import choose, open_for
from portal.catalog.models import Journey, JourneyStep, LeistungKey
from portal.extensions import db
from tests.factories import make_application, make_form, make_office, make_person, make_service
from tests.support.auth import login_as

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _key() -> str:
    return "99" + "".join(secrets.choice("0123456789") for _ in range(12))


def _world(app: Flask, client: FlaskClient) -> dict[str, object]:
    """Journey: move (has a form) → dog → parking; the citizen submitted the move."""
    with app.test_request_context("/"):
        office = make_office()
        names = ("Umziehen (Test)", "Hund ummelden (Test)", "Parken (Test)")
        move, dog, parking = (make_service(office, name=name) for name in names)
        key = _key()
        db.session.add(LeistungKey(leistung_id=move.id, key=key))
        journey = Journey(slug=f"umzug-{secrets.token_hex(3)}", name="Umzug (Test)")
        journey.steps = [JourneyStep(leistung_id=s.id, position=i, note=n) for i, (s, n) in
                         enumerate(((move, ""), (dog, "Hundesteuer"), (parking, "")))]  # fmt: skip
        db.session.add(journey)
        form = make_form(office, service=key)
        person = make_person()
        application = make_application(form, person)
        login_as(client, person)
        world = {"application": application.public_id, "person": person.id, "dog": dog.id,
                 "parking": parking.id, "move": move.id}  # fmt: skip
        db.session.commit()
    return world


def test_the_next_services_follow_a_submission_until_ticked_off_or_dismissed(
    app: Flask, client: FlaskClient, db_session: scoped_session[Session]
) -> None:
    world = _world(app, client)
    page = client.get(f"/antraege/{world['application']}/bestaetigung")
    confirmation = page.get_data(as_text=True)
    assert "data-next-services" in confirmation
    assert "Hund ummelden (Test)" in confirmation
    assert "Parken (Test)" in confirmation
    assert "Umziehen (Test)" not in confirmation.split("data-next-services")[1]

    account = client.get("/konto").get_data(as_text=True)
    assert "data-account-suggestions" in account
    token = CSRF.search(account)
    assert token
    done = client.post(f"/konto/vorschlaege/{world['dog']}",
                       data={"csrf_token": token.group(1), "state": "erledigt"})  # fmt: skip
    assert done.status_code == 303
    account = client.get("/konto").get_data(as_text=True)
    assert "Hund ummelden (Test)" not in account
    assert "Parken (Test)" in account
    client.post(f"/konto/vorschlaege/{world['parking']}",
                data={"csrf_token": token.group(1), "state": "ausgeblendet"})  # fmt: skip
    assert "data-account-suggestions" not in client.get("/konto").get_data(as_text=True)
    export = client.get("/konto/export").get_json(force=True)
    assert sorted(item["stand"] for item in export["vorschlaege"]) == ["ausgeblendet", "erledigt"]
    for bad in ({"state": "gelöscht"}, {}):
        answer = client.post(f"/konto/vorschlaege/{world['dog']}",
                             data={"csrf_token": token.group(1), **bad})  # fmt: skip
        assert answer.status_code == 400
    unknown = client.post("/konto/vorschlaege/999999999",
                          data={"csrf_token": token.group(1), "state": "erledigt"})  # fmt: skip
    assert unknown.status_code == 400


def test_one_citizens_choices_are_not_anothers(
    app: Flask, client: FlaskClient, db_session: scoped_session[Session]
) -> None:
    world = _world(app, client)
    with app.test_request_context("/"):
        other = make_person()
        choose(other.id, int(world["dog"]), SuggestionState.DONE)  # type: ignore[call-overload]
        names = [s.leistung.name for _j, steps in open_for(int(world["person"]))  # type: ignore[call-overload]
                 for s in steps]  # fmt: skip
    assert names == ["Hund ummelden (Test)", "Parken (Test)"]

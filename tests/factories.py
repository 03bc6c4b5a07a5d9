"""Test data factories: rows with sensible defaults, each overridable, flushed, never committed.

Use them inside the ``db_session`` fixture (the test's transaction is rolled back). Every value
that must be unique gets a fresh random part, so tests never collide on a shared database.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from portal.applications.cases import record_change
from portal.applications.models import (
    Application,
    ApplicationFile,
    ApplicationStatus,
    CaseStatus,
    ChangeKind,
    FormVersion,
)
from portal.applications.services import applicant_snapshot, store_definition
from portal.appointments.models import (
    Booking,
    BookingState,
    Calendar,
    Offer,
    OpeningWindow,
    SlotClaim,
)
from portal.appointments.slots import BERLIN, cells
from portal.catalog.models import Authority, AuthorityKind, Leistung, Office, Zustaendigkeit
from portal.core.db import utcnow
from portal.core.storage import file_store, new_key
from portal.extensions import db
from portal.handoff.models import Delivery, DeliveryState
from portal.identity.clients import SCOPES, NewClient, create_client
from portal.identity.models import (
    Membership,
    Organisation,
    OrgRole,
    Person,
    StaffAccount,
    StaffAssignment,
    StaffRole,
)
from portal.payments.models import Payment, PaymentEvent, PaymentState
from portal.payments.services import new_kassenzeichen
from portal.postfach import services as postfach
from portal.postfach.models import Thread

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def _token(size: int = 6) -> str:
    return secrets.token_hex(size)


def make_authority(
    name: str = "", *, kind: AuthorityKind = AuthorityKind.GEMEINDE, **values: Any
) -> Authority:
    """A Gebietskörperschaft; a Gemeinde unless ``kind`` says otherwise."""
    key = _token(3)
    authority = Authority(
        name=name or f"Gemeinde {key}",
        slug=values.pop("slug", f"ort-{key}"),
        kind=kind,
        postal_codes=values.pop("postal_codes", []),
        **values,
    )
    db.session.add(authority)
    db.session.flush()
    return authority


def make_office(**values: Any) -> Office:
    key = values.pop("source_id", f"amt-{_token()}")
    office = Office(
        source=values.pop("source", "test"),
        source_id=key,
        name=values.pop("name", f"Amt {key}"),
        slug=values.pop("slug", key),
        content_hash="x",
        **values,
    )
    db.session.add(office)
    db.session.flush()
    return office


def make_service(*offices: Office, **values: Any) -> Leistung:
    key = values.pop("source_id", f"leistung-{_token()}")
    leistung = Leistung(
        source=values.pop("source", "test"),
        source_id=key,
        name=values.pop("name", f"Leistung {key}"),
        slug=values.pop("slug", key),
        content_hash="x",
        **values,
    )
    for office in offices:
        leistung.zustaendigkeiten.append(Zustaendigkeit(office=office, area=""))
    db.session.add(leistung)
    db.session.flush()
    return leistung


def make_person(**values: Any) -> Person:
    person = Person(
        issuer=values.pop("issuer", "https://idp.test"),
        subject=values.pop("subject", f"sub-{_token()}"),
        given_name=values.pop("given_name", "Erika"),
        family_name=values.pop("family_name", "Mustermann"),
        email=values.pop("email", f"erika-{_token(3)}@example.org"),
        **values,
    )
    db.session.add(person)
    db.session.flush()
    return person


def make_organisation(*members: Person, **values: Any) -> Organisation:
    organisation = Organisation(
        issuer=values.pop("issuer", "https://idp.test"),
        external_id=values.pop("external_id", f"org-{_token()}"),
        name=values.pop("name", "Musterbau GmbH"),
        **values,
    )
    db.session.add(organisation)
    db.session.flush()
    for person in members:
        db.session.add(
            Membership(
                organisation_id=organisation.id, person_id=person.id, role=OrgRole.ADMINISTRATION
            )
        )
    db.session.flush()
    return organisation


def make_staff(*roles: tuple[StaffRole, Office | None], **values: Any) -> StaffAccount:
    """A staff account with the given (role, office) pairs; office ``None`` only for admins."""
    staff = StaffAccount(
        email=values.pop("email", f"staff-{_token(4)}@musterstadt.example"),
        name=values.pop("name", "Sabine Sachbearbeiterin"),
        issuer="https://staff.test",
        subject=f"staff-{_token()}",
        **values,
    )
    staff.roles = [
        StaffAssignment(role=role, office_id=office.id if office is not None else None)
        for role, office in roles
    ]
    db.session.add(staff)
    db.session.flush()
    return staff


def definition(office: Office, **values: Any) -> dict[str, Any]:
    """A small form definition for ``office`` (one step, a number of items, a fee)."""
    raw: dict[str, Any] = {
        "schema": "serviceportal-form/1",
        "key": values.pop("key", f"test-{_token(4)}"),
        "title": "Testantrag",
        "purpose": "Testgebuehr",
        "office": str(office.id),
        "accounts": ["buerger", "organisation"],
        "fee": {"kind": "per_item", "field": "angaben.anzahl", "unit_cents": 3060},
        "payment": "afterwards",
        "steps": [
            {
                "key": "angaben",
                "title": "Angaben",
                "fields": [
                    {
                        "key": "anzahl",
                        "type": "number",
                        "label": "Anzahl",
                        "required": True,
                        "min": 1,
                        "max": 10,
                    }
                ],
            }
        ],
    }
    raw.update(values)
    return raw


def make_form(office: Office, **values: Any) -> FormVersion:
    row, _new = store_definition(definition(office, **values))
    return row


def make_application(
    form: FormVersion,
    owner: Person,
    *,
    organisation: Organisation | None = None,
    case_status: CaseStatus | None = CaseStatus.RECEIVED,
    fee_cents: int = 0,
    with_file: bool = False,
    **values: Any,
) -> Application:
    """A submitted application (``case_status=None``: a draft) of ``owner``."""
    now = utcnow()
    submitted = case_status is not None
    submitted_at = values.pop("submitted_at", now if submitted else None)
    application = Application(
        public_id=_token(16),
        updated_at=now,
        form_key=form.key,
        form_version=form.version,
        title=form.title,
        person_id=None if organisation else owner.id,
        organisation_id=organisation.id if organisation else None,
        started_by_id=owner.id,
        status=ApplicationStatus.SUBMITTED if submitted else ApplicationStatus.DRAFT,
        answers=values.pop("answers", {"angaben": {"anzahl": "1"}}),
        reference=f"SP-TEST-{_token(4).upper()}" if submitted else None,
        submitted_at=submitted_at,
        status_changed_at=now if submitted else None,
        applicant=applicant_snapshot(owner, organisation) if submitted else None,
        office_id=form.office_id if submitted else None,
        case_status=case_status,
        fee_cents=fee_cents,
        trust_level=3,
        **values,
    )
    db.session.add(application)
    db.session.flush()
    if submitted:
        record_change(application, ChangeKind.SUBMITTED)
    if with_file:
        key = new_key()
        file_store().put(key, PDF)
        db.session.add(
            ApplicationFile(
                public_id=_token(16),
                application_id=application.id,
                step="angaben",
                field="nachweis",
                filename="nachweis.pdf",
                content_type="application/pdf",
                size=len(PDF),
                sha256="0" * 64,
                storage_key=key,
            )
        )
        db.session.flush()
    return application


def make_payment(
    application: Application,
    *,
    state: PaymentState = PaymentState.PAID,
    amount_cents: int | None = None,
    paid_at: dt.datetime | None = None,
    created_at: dt.datetime | None = None,
) -> Payment:
    now = utcnow()
    payment = Payment(
        public_id=_token(16),
        created_at=created_at or now,
        updated_at=now,
        application_id=application.id,
        kassenzeichen=new_kassenzeichen(),
        purpose="Testgebuehr",
        amount_cents=amount_cents if amount_cents is not None else application.fee_cents or 1000,
        provider="test",
        provider_payment=f"test-pi-{_token()}",
        attempts=1,
        state=state,
        paid_at=(paid_at or now) if state == PaymentState.PAID else None,
    )
    db.session.add(payment)
    db.session.flush()
    if state == PaymentState.PAID:
        db.session.add(
            PaymentEvent(
                payment_id=payment.id,
                provider="test",
                event_id=f"test:{payment.public_id}:paid",
                kind="paid",
                source="test",
                data={"attempt": 1},
            )
        )
        db.session.flush()
    return payment


def make_thread(application: Application, *, with_attachment: bool = True) -> Thread:
    """The application's Postfach thread with a message from the applicant (and a file)."""
    thread = postfach.thread_for_application(application)
    postfach.post(
        thread,
        "Nachweis anbei",
        from_office=False,
        person_id=application.started_by_id,
        attachments=[("nachweis.pdf", "application/pdf", PDF)] if with_attachment else None,
    )
    db.session.flush()
    return thread


def make_delivery(
    application: Application,
    *,
    state: DeliveryState = DeliveryState.GIVEN_UP,
    lease_until: dt.datetime | None = None,
) -> Delivery:
    delivered = state == DeliveryState.DELIVERED
    delivery = Delivery(
        application_id=application.id,
        target="*:folder",
        idempotency_key=f"{application.reference}-{_token(3)}",
        state=state,
        attempts=12 if state == DeliveryState.GIVEN_UP else 1,
        next_attempt_at=utcnow(),
        lease_until=lease_until,
        delivered_at=utcnow() - dt.timedelta(days=3) if delivered else None,
        last_error="" if delivered else "Ziel nicht erreichbar",
    )
    db.session.add(delivery)
    db.session.flush()
    return delivery


def make_api_client(*offices: Office, scopes: tuple[str, ...] = tuple(SCOPES)) -> NewClient:
    """A machine client of the office API for ``offices`` (its secret is in the result)."""
    return create_client(f"Fachverfahren {_token(3)}", [o.id for o in offices], list(scopes))


def make_calendar(
    office: Office,
    *services: Leistung,
    duration: int = 30,
    windows: tuple[tuple[int, dt.time, dt.time], ...] = tuple(
        (day, dt.time(8), dt.time(12)) for day in range(7)
    ),
    **values: Any,
) -> Calendar:
    """A calendar of ``office`` open 08:00–12:00 every day (tests do not depend on the weekday)
    with no lead time, offering each of ``services`` for ``duration`` minutes."""
    calendar = Calendar(
        office_id=office.id,
        name=values.pop("name", f"Termine {office.name}"),
        counters=values.pop("counters", 1),
        slot_minutes=values.pop("slot_minutes", 15),
        lead_hours=values.pop("lead_hours", 0),
        horizon_days=values.pop("horizon_days", 60),
        **values,
    )
    calendar.windows = [OpeningWindow(weekday=d, starts=a, ends=b) for d, a, b in windows]
    calendar.offers = [Offer(leistung_id=s.id, duration_minutes=duration) for s in services]
    db.session.add(calendar)
    db.session.flush()
    return calendar


def berlin(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """A Berlin wall-clock time as the UTC instant the portal stores."""
    return dt.datetime.combine(day, dt.time(hour, minute), BERLIN).astimezone(dt.UTC)


def make_booking(offer: Offer, starts_at: dt.datetime, counter: int = 1, **values: Any) -> Booking:
    """A booking written directly (with its claims), e.g. in the past for the day list."""
    calendar = offer.calendar
    booking = Booking(
        reference=values.pop("reference", f"T-{_token(2).upper()}-{_token(2).upper()}"),
        calendar_id=calendar.id,
        office_id=calendar.office_id,
        leistung_id=offer.leistung_id,
        service_name=values.pop("service_name", "Personalausweis beantragen"),
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(minutes=offer.duration_minutes),
        counter=counter,
        state=values.pop("state", BookingState.BOOKED),
        name=values.pop("name", "Erika Mustermann"),
        token_nonce=_token(8),
        **values,
    )
    booking.email = values.get("email") or f"erika-{_token(3)}@example.org"
    booking.email_key = booking.email.lower()
    db.session.add(booking)
    db.session.flush()
    if booking.state in (BookingState.BOOKED, BookingState.HELD):
        db.session.add_all(
            SlotClaim(calendar_id=calendar.id, counter=counter, starts_at=cell,
                      booking_id=booking.id)
            for cell in cells(starts_at, offer.duration_minutes, calendar.slot_minutes)
        )  # fmt: skip
        db.session.flush()
    return booking

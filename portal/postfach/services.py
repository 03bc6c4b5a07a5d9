"""Postfach operations: threads of an account or an office, sending, reading, receipts."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from flask import abort
from flask_babel import force_locale, format_currency, format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, and_, case, delete, distinct, func, or_, select, union

from portal.applications.cases import record_change
from portal.applications.models import Application, CaseStatus, ChangeKind
from portal.core.db import contains_pattern, utcnow
from portal.core.jobs import enqueue
from portal.core.notices import login_address, send_notice
from portal.core.storage import cipher, file_store, index_key, new_key
from portal.extensions import db
from portal.identity.access import OfficeScope, in_scope
from portal.identity.models import Organisation, Person
from portal.postfach.models import Message, MessageAttachment, SearchToken, Thread

BERLIN = ZoneInfo("Europe/Berlin")
# What a message may carry, from the applicant's browser or the office's Fachverfahren.
ATTACHMENT_TYPES = ("application/pdf", "image/jpeg", "image/png")


UNREACHABLE = _l(
    "Das Nutzerkonto der antragstellenden Person wurde gelöscht; das Postfach erreicht sie nicht "
    "mehr. Bitte schreiben Sie per Post an die Anschrift aus dem Antrag."
)


def reachable(thread: Thread) -> bool:
    """Whether an account still reads this thread (not after the account was deleted)."""
    return thread.person_id is not None or thread.organisation_id is not None


def seal(text: str) -> bytes:
    return bytes(cipher().encrypt(text.encode("utf-8")))


def unseal(token: bytes) -> str:
    return str(cipher().decrypt(token).decode("utf-8"))


def owner_clause(person: Person, organisation: Organisation | None) -> ColumnElement[bool]:
    if organisation is not None:
        return Thread.organisation_id == organisation.id
    return and_(Thread.person_id == person.id, Thread.organisation_id.is_(None))


PAGE_SIZE = 25


@dataclass(frozen=True)
class InboxPage:
    threads: list[Thread]
    unread: dict[int, int]  # thread id -> unread messages (from the other side)
    page: int
    pages: int


def inbox_page(where: ColumnElement[bool], *, unread_from_office: bool, page: int = 1) -> InboxPage:
    """One page of threads, newest first, with unread counts in one grouped query."""
    total = db.session.scalar(select(func.count()).select_from(Thread).where(where)) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(page, 1), pages)
    threads = list(
        db.session.scalars(
            select(Thread)
            .where(where)
            .order_by(Thread.updated_at.desc(), Thread.id.desc())
            .offset((page - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE)
        )
    )
    ids = [thread.id for thread in threads]
    unread: dict[int, int] = {}
    if ids:
        counts = db.session.execute(
            select(Message.thread_id, func.count())
            .where(
                Message.thread_id.in_(ids),
                Message.from_office.is_(unread_from_office),
                Message.read_at.is_(None),
            )
            .group_by(Message.thread_id)
        )
        unread = {row[0]: row[1] for row in counts}
    return InboxPage(threads, unread, page, pages)


def threads_of(
    person: Person,
    organisation: Organisation | None,
    *,
    archived: bool = False,
    flagged: bool = False,
    page: int = 1,
) -> InboxPage:
    where = and_(owner_clause(person, organisation), Thread.archived.is_(archived))
    if flagged:
        where = and_(where, Thread.flagged.is_(True))
    return inbox_page(where, unread_from_office=True, page=page)


SEARCH_LIMIT = 50
WORD = re.compile(r"\w{2,}")


def word_tokens(text: str) -> set[str]:
    """Keyed hashes of the words of ``text`` (case-folded): what the blind index stores."""
    key = index_key()
    return {
        hmac.new(key, word.encode(), hashlib.sha256).hexdigest()[:32]
        for word in WORD.findall(text.casefold())[:2000]
    }


def _index(message: Message, text: str) -> None:
    message.search_tokens = [SearchToken(token=token) for token in sorted(word_tokens(text))]


def reindex() -> int:
    """Rebuild the blind index from the decrypted bodies (after the storage key changed)."""
    db.session.execute(delete(SearchToken))
    db.session.expire_all()
    count = 0
    for message in db.session.scalars(select(Message)):
        _index(message, unseal(message.body))
        count += 1
    db.session.flush()
    return count


def search(
    where: ColumnElement[bool], text: str, *, unread_from_office: bool, page: int = 1
) -> InboxPage:
    """Threads (within ``where``) whose subject contains ``text`` or that hold a message with
    every word of ``text``. Bodies are encrypted, so words are looked up in the blind index."""
    needle = " ".join(text.casefold().split())
    if not needle:
        return InboxPage([], {}, 1, 1)
    tokens = word_tokens(needle)
    by_subject = select(Thread.id).where(
        where, func.lower(Thread.subject).like(contains_pattern(needle))
    )
    matches = by_subject
    if tokens:
        by_words = (
            select(Message.thread_id)
            .join(SearchToken, SearchToken.message_id == Message.id)
            .join(Thread, Thread.id == Message.thread_id)
            .where(where, SearchToken.token.in_(tokens))
            .group_by(Message.id, Message.thread_id)
            .having(func.count(distinct(SearchToken.token)) == len(tokens))
        )
        matches = union(by_subject, by_words)  # type: ignore[assignment]
    found = list(
        db.session.scalars(
            select(Thread.id)
            .where(Thread.id.in_(select(matches.subquery().c[0])))
            .order_by(Thread.updated_at.desc(), Thread.id.desc())
            .limit(SEARCH_LIMIT)
        )
    )
    if not found:
        return InboxPage([], {}, 1, 1)
    return inbox_page(Thread.id.in_(found), unread_from_office=unread_from_office, page=page)


def owned_thread(public_id: str, person: Person, organisation: Organisation | None) -> Thread:
    found = db.session.scalars(
        select(Thread).where(Thread.public_id == public_id, owner_clause(person, organisation))
    ).first()
    if found is None:
        abort(404)
    return found


def office_thread(public_id: str, scope: OfficeScope) -> Thread:
    """The thread, if its office is in ``scope`` (see ``identity.access.office_scope``); 404."""
    query = select(Thread).where(Thread.public_id == public_id, office_where(scope))
    found = db.session.scalars(query).first()
    if found is None:
        abort(404)
    return found


# What the office Postfach shows, as the queue does: threads of closed cases only on request.
SHOWN_OPEN, SHOWN_CLOSED, SHOWN_ALL = "offen", "abgeschlossen", "alle"


def closed_case() -> ColumnElement[bool]:
    """The thread belongs to a case that is closed (``abgeschlossen``)."""
    return Thread.application_id.in_(
        select(Application.id).where(Application.case_status == CaseStatus.CLOSED)
    )


def office_where(scope: OfficeScope, shown: str = SHOWN_ALL) -> ColumnElement[bool]:
    """The office's threads: all, or those still open (general enquiries and cases not yet
    closed), or those of closed cases."""
    where = in_scope(Thread.office_id, scope)
    if shown == SHOWN_OPEN:
        return and_(where, or_(Thread.application_id.is_(None), ~closed_case()))
    if shown == SHOWN_CLOSED:
        return and_(where, closed_case())
    return where


def office_threads(scope: OfficeScope, page: int = 1, shown: str = SHOWN_OPEN) -> InboxPage:
    return inbox_page(office_where(scope, shown), unread_from_office=False, page=page)


def closed_thread_count(scope: OfficeScope) -> int:
    """How many threads the open view leaves out."""
    where = office_where(scope, SHOWN_CLOSED)
    return db.session.scalar(select(func.count()).select_from(Thread).where(where)) or 0


def existing_thread(application: Application) -> Thread | None:
    """The application's thread if it has one (never makes one)."""
    found: Thread | None = db.session.scalars(
        select(Thread).where(Thread.application_id == application.id)
    ).first()
    return found


def query_open(application: Application) -> bool:
    """The office asked (Rückfrage) and the applicant has not written since."""
    if application.case_status is None or application.case_status.value != "rueckfrage":
        return False
    return application.id not in answered_queries([application.id])


def thread_for_application(application: Application) -> Thread:
    found = db.session.scalars(
        select(Thread).where(Thread.application_id == application.id)
    ).first()
    if found is not None:
        return found
    thread = Thread(
        public_id=secrets.token_hex(16),
        updated_at=utcnow(),
        subject=f"{application.title} – {application.reference}",
        office_id=application.office_id,
        application_id=application.id,
        person_id=application.person_id,
        organisation_id=application.organisation_id,
    )
    db.session.add(thread)
    db.session.flush()
    return thread


def new_thread(
    person: Person, organisation: Organisation | None, office_id: int, subject: str
) -> Thread:
    thread = Thread(
        public_id=secrets.token_hex(16),
        updated_at=utcnow(),
        subject=subject.strip()[:200],
        office_id=office_id,
        person_id=person.id,
        organisation_id=organisation.id if organisation else None,
    )
    db.session.add(thread)
    db.session.flush()
    return thread


def post(
    thread: Thread,
    text: str,
    *,
    from_office: bool,
    person_id: int | None = None,
    staff_id: int | None = None,
    kind: str = "nachricht",
    attachments: list[tuple[str, str, bytes]] | None = None,
) -> Message:
    message = Message(
        public_id=secrets.token_hex(16),
        thread=thread,
        from_office=from_office,
        kind=kind,
        sender_person_id=person_id,
        sender_staff_id=staff_id,
        body=seal(text),
    )
    store = file_store()
    for filename, content_type, data in attachments or []:
        key = new_key()
        store.put(key, data)
        message.attachments.append(
            MessageAttachment(
                public_id=secrets.token_hex(16),
                filename=filename[:255] or "datei",
                content_type=content_type,
                size=len(data),
                sha256=hashlib.sha256(data).hexdigest(),
                storage_key=key,
            )
        )
    thread.updated_at = utcnow()
    thread.archived = False
    db.session.add(message)
    db.session.flush()
    _index(message, text)
    if from_office:
        enqueue(notify_account, thread.id, login_address())
    elif thread.application_id is not None:
        application = db.session.get(Application, thread.application_id)
        if application is not None:  # the office's systems hear of the answer
            record_change(application, ChangeKind.DOCUMENTS if attachments else ChangeKind.MESSAGE)
    return message


def mark_retrieved(item: MessageAttachment) -> None:
    """The applicant opened a file from the office: "abgerufen am" (the first time only)."""
    if not item.message.from_office or item.retrieved_at is not None:
        return
    item.retrieved_at = utcnow()
    thread = item.message.thread
    if item.message.kind == "bescheid" and thread.application_id is not None:
        application = db.session.get(Application, thread.application_id)
        if application is not None:
            record_change(application, ChangeKind.RETRIEVED)


def notify_account(thread_id: int, login: str = "") -> None:
    """Job: an e-mail that says something new is waiting, never what (in each reader's
    language)."""
    thread = db.session.get(Thread, thread_id)
    if thread is None:
        return
    readers: list[Person] = []
    if thread.organisation_id is not None:
        organisation = db.session.get(Organisation, thread.organisation_id)
        readers = [m.person for m in organisation.members] if organisation else []
    elif thread.person_id is not None:
        person = db.session.get(Person, thread.person_id)
        readers = [person] if person else []
    for reader in readers:
        if not reader.email:
            continue
        with force_locale(reader.locale or "de"):
            send_notice(
                reader.email,
                _("Neue Nachricht in Ihrem Postfach"),
                _(
                    "in Ihrem Postfach liegt eine neue Nachricht für Sie. Den Inhalt lesen Sie "
                    "nur nach der Anmeldung."
                ),
                login or None,
            )


def mark_read(thread: Thread, *, by_office: bool) -> None:
    """The reader marks what the other side sent: "gelesen am" for that sender."""
    now = utcnow()
    for message in thread.messages:
        if message.from_office != by_office and message.read_at is None:
            message.read_at = now


def receipt_text(application: Application) -> str:
    """The Eingangsbestätigung's text in the reader's language, dated in German time."""
    submitted = application.submitted_at or utcnow()
    return str(
        _(
            "Ihr Antrag „%(title)s“ ist am %(date)s eingegangen. Aktenzeichen: %(reference)s. "
            "Antworten des Amtes erhalten Sie hier in Ihrem Postfach.",
            title=application.title,
            date=format_date(submitted.astimezone(BERLIN).date(), "medium"),
            reference=application.reference,
        )
    )


def shown_text(message: Message, thread: Thread) -> str:
    """A message's text as the reader sees it.

    What people wrote is shown as written. A system message (the Eingangsbestätigung) is written
    anew in the reader's language from the application it confirms; the stored German text stays
    the record.
    """
    if message.kind == "eingangsbestaetigung" and thread.application_id is not None:
        application = db.session.get(Application, thread.application_id)
        if application is not None and application.reference:
            return receipt_text(application)
    return unseal(message.body)


def acknowledge_submission(application: Application) -> None:
    """The automatic Eingangsbestätigung, in the application's own thread."""
    with force_locale("de"):  # the record is German; readers see it in their language
        text = receipt_text(application)
    post(
        thread_for_application(application),
        text,
        from_office=True,
        kind="eingangsbestaetigung",
    )


def payment_text(application: Application, amount_cents: int, *, late: bool) -> str:
    euros = format_currency(amount_cents / 100, "EUR")
    text = _("Ihre Zahlung von %(amount)s für den Antrag „%(title)s“ (Aktenzeichen %(reference)s) "
             "ist eingegangen.", amount=euros, title=application.title,
             reference=application.reference)  # fmt: skip
    if late:
        text += " " + _("Sie galt zunächst als nicht gelungen; der Zahlungsanbieter hat sie "
                        "inzwischen bestätigt. Bitte bezahlen Sie nicht noch einmal.")  # fmt: skip
    return str(text)


def acknowledge_payment(application_id: int, amount_cents: int, *, late: bool) -> None:
    """A paid fee, in the application's thread: the citizen hears of it by e-mail too, also
    when the provider confirmed it only after they had been told it failed."""
    _tell_about_fee(
        application_id, "zahlung", lambda item: payment_text(item, amount_cents, late=late)
    )


def _tell_about_fee(application_id: int, kind: str, compose: Callable[[Application], str]) -> None:
    """A notice about the application's fee in its thread (and so by e-mail), in German."""
    application = db.session.get(Application, application_id)
    if application is None or application.is_draft:
        return
    with force_locale("de"):
        text = compose(application)
    post(thread_for_application(application), text, from_office=True, kind=kind)


def refund_text(application: Application, amount_cents: int, *, done: bool) -> str:
    euros = format_currency(amount_cents / 100, "EUR")
    about = _("für den Antrag „%(title)s“ (Aktenzeichen %(reference)s)",
              title=application.title, reference=application.reference)  # fmt: skip
    if done:
        return str(_("%(amount)s %(about)s wurden Ihnen erstattet. Bis das Geld auf Ihrem Konto "
                     "ist, kann es einige Tage dauern.", amount=euros, about=about))  # fmt: skip
    return str(_("Die Erstattung von %(amount)s %(about)s ist bei der Stadtkasse angefordert. "
                 "Wir schreiben Ihnen, sobald die Kasse das Geld überwiesen hat.",
                 amount=euros, about=about))  # fmt: skip


def tell_refund(application_id: int, amount_cents: int, *, done: bool) -> None:
    """A refund asked of the Kasse, or gone back to the payer, in the application's thread
    (and by e-mail): the citizen learns of both steps, not only of the first."""
    _tell_about_fee(
        application_id, "erstattung", lambda item: refund_text(item, amount_cents, done=done)
    )


def rotate_bodies() -> int:
    """Re-encrypt every message body under the newest storage key."""
    fernet = cipher()
    count = 0
    for message in db.session.scalars(select(Message)):
        message.body = bytes(fernet.rotate(message.body))
        count += 1
    db.session.flush()
    return count


def rotate_attachments() -> int:
    store = file_store()
    keys = list(db.session.scalars(select(MessageAttachment.storage_key)))
    for key in keys:
        store.rotate(key)
    return len(keys)


def answered_queries(application_ids: list[int]) -> set[int]:
    """Of these applications, those whose applicant wrote after the office's latest Rückfrage
    (one grouped query): the queue marks them, so the clerk sees the answer is in."""
    if not application_ids:
        return set()
    query_id = func.max(case((Message.kind == "rueckfrage", Message.id)))
    reply_id = func.max(case((Message.from_office.is_(False), Message.id)))
    rows = db.session.execute(
        select(Thread.application_id, query_id, reply_id)
        .join(Message, Message.thread_id == Thread.id)
        .where(Thread.application_id.in_(application_ids))
        .group_by(Thread.application_id)
    )
    return {
        application_id
        for application_id, asked, answered in rows
        if asked is not None and answered is not None and answered > asked
    }

"""Paying the fee of a submitted application, the provider's return and webhook, refunds by
staff and the export for the municipal cash system."""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from decimal import Decimal

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from prometheus_client import Counter
from sqlalchemy import Select, func, select
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response as BaseResponse
from wtforms import DateField, HiddenField, StringField
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError

from portal.applications import services as applications
from portal.applications.forms import parse_number
from portal.applications.models import Application, AuditEntry
from portal.applications.routes import euro as _euro
from portal.core.db import utcnow
from portal.core.formtools import PortalForm, add_errors
from portal.core.jobs import dispatch_pending
from portal.core.urls import absolute_url
from portal.extensions import csrf, db, limiter
from portal.identity.access import (
    CASE_READ,
    EXPORT,
    REFUND,
    in_scope,
    logged_in_staff,
    office_scope,
    staff_required,
)
from portal.identity.models import StaffAccount, StaffRole
from portal.payments import reconcile, services
from portal.payments.models import Payment, PaymentState
from portal.payments.providers import (
    Order,
    ProviderUnavailableError,
    RefundNotOfferedError,
    WebhookRejectedError,
    provider_named,
)
from portal.payments.routing import provider_for
from portal.payments.xbezahldienste import PaymentProblemError

log = logging.getLogger(__name__)
WEBHOOK_FAILURES = Counter(
    "portal_payment_webhook_failures_total",
    "Payment provider notifications not taken: bad signature or body, or an unknown payment",
    ["provider", "reason"],
)
bp = Blueprint("payments", __name__, template_folder="templates")


class PayForm(PortalForm):
    pass


MAX_REFUND_EUROS = 1_000_000


class RefundForm(PortalForm):
    amount = StringField(
        _l("Betrag in Euro"),
        description=_l("Zum Beispiel 30,60. Höchstens der noch nicht erstattete Betrag."),
        validators=[DataRequired(_l("Bitte geben Sie den Betrag der Erstattung an."))],
    )
    reason = StringField(
        _l("Grund"),
        validators=[
            DataRequired(_l("Bitte geben Sie einen Grund für die Erstattung an.")),
            Length(max=500, message=_l("Der Grund darf höchstens 500 Zeichen lang sein.")),
        ],
    )
    # Made when the form is shown: the same form sent twice books one refund.
    request_id = HiddenField(
        validators=[
            Regexp(
                r"^[A-Za-z0-9_-]{16,64}$",
                message=_l("Bitte laden Sie die Seite neu und versuchen Sie es noch einmal."),
            )
        ]
    )

    def cents(self) -> int:
        number = parse_number(self.amount.data or "")
        return int((number or 0) * 100)

    def validate_amount(self, field: StringField) -> None:
        number = parse_number(field.data or "")
        # Above a million euros it is a typo (and "1e999" would not even round to cents).
        if number is None or not 0 < number < MAX_REFUND_EUROS:
            raise ValidationError(_l("Bitte geben Sie einen Betrag wie 12,50 ein."))
        if number != number.quantize(Decimal("0.01")):
            raise ValidationError(_l("Bitte geben Sie einen Betrag wie 12,50 ein."))


class ExportForm(PortalForm):
    class Meta:
        csrf = False  # a GET download

    von = DateField(_l("Von"), validators=[Optional()], format="%Y-%m-%d")
    bis = DateField(_l("Bis"), validators=[Optional()], format="%Y-%m-%d")


# What a citizen is told when a payment cannot start: the code is for the operator's e-mail.
SETUP_PROBLEMS = frozenset(
    {
        "NO_VALID_ORIGINATOR_OR_DESTINATION",
        "NO_VALID_ORIGINATOR_OR_ENDPOINT",
        "CALCULATION_ERROR",
        "BOOKING_DATA_MISSING",
        "VALIDATION_ERROR",
        "FORBIDDEN",
    }
)


def _owned_payment(public_id: str) -> tuple[Payment, Application]:
    payment = db.session.scalar(select(Payment).where(Payment.public_id == public_id))
    if payment is None:
        abort(404)
    application = db.session.get(Application, payment.application_id)
    if application is None:
        abort(404)
    # 404 unless the application belongs to the account acting now.
    applications.owned(application.public_id, current_user.person, current_user.acting_for)
    return payment, application


def _cannot_start(payment: Payment, problem: str, explanation: str = "") -> tuple[str, int]:
    """The citizen's page when the payment service refused or was away; nothing was paid and
    the application stays as it is. The operator hears of every refusal, with the service's
    own explanation (its ``functionalText``) where it gave one."""
    if problem != reconcile.UNAVAILABLE:
        said = f"\nErklärung des Zahlungsanbieters: {explanation}\n" if explanation else ""
        reconcile.alert(
            f"Zahlung abgelehnt: {problem}",
            f"Der Zahlungsanbieter {payment.provider} hat die Zahlung mit dem Kassenzeichen "
            f"{payment.kassenzeichen} abgelehnt: {problem}.\n{said}"
            "Das liegt meist an der Einrichtung (Zugangsdaten, originatorId, endPointId, "
            "Buchungsdaten). Die Antragstellenden können später erneut bezahlen.",
        )
    payment.last_problem = problem
    db.session.commit()  # an error page rolls back: keep the problem and send the alert
    dispatch_pending()
    setup = problem in SETUP_PROBLEMS
    return render_template("payments/unavailable.html", setup=setup), 503


@bp.post("/antraege/<public_id>/bezahlen")
@login_required  # type: ignore[untyped-decorator]
def pay(public_id: str) -> BaseResponse | tuple[str, int]:  # noqa: PLR0911 - each way out
    application = applications.owned(public_id, current_user.person, current_user.acting_for)
    if not PayForm().validate_on_submit():
        abort(400)
    if application.is_draft or not application.fee_cents or application.test:
        abort(404)  # a Testantrag is never charged
    chosen = provider_for(application)
    if chosen.is_test and current_app.config["PORTAL"].is_production:
        return render_template("payments/unavailable.html", setup=True), 503
    definition = applications.definition_for(application)
    payment = services.open_payment(
        application, definition.purpose or definition.title, chosen.name
    )
    if payment.provider_ref and payment.state not in reconcile.FINAL:
        # Ask first: the last attempt may have been paid (or captured late) meanwhile.
        reconcile.check(payment, "return")
    if payment.state in (PaymentState.PAID, PaymentState.REFUNDED):
        db.session.commit()
        return redirect(url_for(".result", public_id=payment.public_id), 303)
    if payment.state == PaymentState.OPEN and payment.pay_url and payment.provider == chosen.name:
        db.session.commit()
        return redirect(payment.pay_url, 303)  # the open transaction, not a second one
    order = Order(application.reference or "", application.title, definition.service)
    checkout = None
    for _try in range(2):
        payment.provider = chosen.name  # a new attempt goes where new payments go
        payment.attempts += 1
        payment.provider_ref = payment.status_url = payment.pay_url = ""
        try:
            checkout = chosen.start(
                payment,
                success_url=absolute_url(".result", public_id=payment.public_id),
                cancel_url=absolute_url(".result", public_id=payment.public_id, abbruch=1),
                idempotency_key=f"checkout-{payment.public_id}-{payment.attempts}",
                order=order,
            )
            break
        except PaymentProblemError as problem:
            if problem.code != "PAYMENT_EXISTS":
                return _cannot_start(payment, problem.code, problem.text)
            # An earlier request with this id reached the service but its answer never
            # reached us: that transaction's pay page was never shown, so nobody can pay it.
            log.warning("payment %s: request id already used, next attempt", payment.public_id)
        except ProviderUnavailableError:
            return _cannot_start(payment, reconcile.UNAVAILABLE)
    if checkout is None:
        return _cannot_start(payment, "PAYMENT_EXISTS")
    payment.provider_ref = checkout.ref
    payment.status_url = checkout.status_url
    payment.pay_url = checkout.url if checkout.reusable else ""
    payment.last_problem = ""
    reconcile.started(payment)
    # Kept with the payment, so each attempt's transaction is asked about until it is final.
    services.record_event(
        payment,
        provider=chosen.name,
        event_id=f"start:{payment.public_id}:{payment.attempts}",
        kind="open",
        source="start",
        data={
            "attempt": payment.attempts,
            "transaction": checkout.ref,
            "status_url": checkout.status_url,
        },
    )
    db.session.commit()  # keep the checkout reference even if the redirect is never followed
    return redirect(checkout.url, 303)


@bp.get("/zahlung/<public_id>")
@login_required  # type: ignore[untyped-decorator]
def result(public_id: str) -> str:
    """Where the provider sends the citizen back. Whatever the address says, only the
    provider's answer to our own status query counts."""
    payment, application = _owned_payment(public_id)
    problem = ""
    if payment.state not in reconcile.FINAL and payment.attempts:
        problem = reconcile.check(payment, "return")
    return render_template(
        "payments/result.html",
        payment=payment,
        application=application,
        cancelled_here=bool(request.args.get("abbruch")),
        unreachable=bool(problem),
        form=PayForm(),
    )


@bp.route("/zahlung/test/<public_id>/<int:attempt>", methods=["GET", "POST"])
@login_required  # type: ignore[untyped-decorator]
def test_checkout(public_id: str, attempt: int) -> BaseResponse | str:
    """The test provider's checkout page (embedded default only)."""
    if current_app.config["PORTAL"].is_production:
        abort(404)
    payment, application = _owned_payment(public_id)
    if payment.provider != "test":
        abort(404)
    form = PayForm()
    if request.method == "POST" and form.validate_on_submit():
        outcome = request.form.get("ergebnis", "")
        kinds = {"erfolg": "paid", "fehler": "failed", "abbruch": "cancelled"}
        if outcome not in kinds:
            abort(400)
        services.record_event(
            payment,
            provider="test",
            event_id=f"test:{payment.public_id}:{attempt}:{kinds[outcome]}",
            kind=kinds[outcome],
            source="test",
            data={"attempt": attempt, "payment_intent": f"test-pi-{payment.public_id}"},
        )
        target = url_for(".result", public_id=payment.public_id)
        return redirect(target + ("?abbruch=1" if outcome == "abbruch" else ""), 303)
    return render_template(
        "payments/test_checkout.html", payment=payment, application=application, form=form
    )


@bp.post("/zahlung/<name>/webhook")
@csrf.exempt  # type: ignore[untyped-decorator]
@limiter.exempt
def webhook(name: str) -> tuple[str, int]:
    """A provider's signed notifications (``/zahlung/stripe/webhook`` for Stripe)."""
    chosen = provider_named(name)
    if chosen is None:
        abort(404)
    try:
        events = chosen.webhook_events(
            request.get_data(), request.headers.get("Stripe-Signature", "")
        )
    except WebhookRejectedError as error:
        log.warning("%s webhook rejected: %s", name, error)
        WEBHOOK_FAILURES.labels(chosen.name, "abgelehnt").inc()
        return "rejected", 400
    for event in events:
        query = select(Payment).where(
            Payment.provider == chosen.name,
            (Payment.public_id == event.payment_id) | (Payment.provider_ref == event.ref),
        )
        payment = db.session.scalar(query)
        if payment is None:
            log.warning("webhook %s for an unknown payment", event.event_id)
            WEBHOOK_FAILURES.labels(chosen.name, "unbekannte_zahlung").inc()
            continue
        attempt = payment.attempts if event.ref == payment.provider_ref else 0
        services.record_event(
            payment,
            provider=chosen.name,
            event_id=event.event_id,
            kind=event.kind,
            source="webhook",
            data={**event.data, "attempt": attempt},
        )
    return "ok", 200


# --- back office ---------------------------------------------------------------------------

PAGE_SIZE = 50
MAX_EXPORT_DAYS = 366


def _scoped_payments(staff: StaffAccount, *roles: StaffRole) -> Select[Payment, Application]:
    """Payments of the offices where ``staff`` holds one of ``roles`` (Administration: all)."""
    return (
        select(Payment, Application)
        .join(Application, Application.id == Payment.application_id)
        .where(in_scope(Application.office_id, office_scope(staff, *roles)))
    )


def _locked_payment(staff: StaffAccount, public_id: str, roles: tuple[StaffRole, ...]) -> Payment:
    """The payment, if one of ``staff``'s offices with ``roles`` may act on it, locked for the
    rest of the request (404 otherwise)."""
    found = db.session.execute(
        _scoped_payments(staff, *roles)
        .where(Payment.public_id == public_id)
        .with_for_update(of=Payment)
    ).first()
    if found is None:
        abort(404)
    payment: Payment = found[0]
    return payment


def _page() -> int:
    raw = request.args.get("seite", "1")
    return int(raw) if raw.isdigit() and 0 < int(raw) < 100_000 else 1


def _payments_page(refund_form: RefundForm, refund_target: str = "") -> str:
    staff = logged_in_staff()
    page = _page()
    only_stuck = request.args.get("ansicht") == "haengend"
    query = _scoped_payments(staff, *CASE_READ)
    now = utcnow()
    stuck_ids = reconcile.stuck(now).with_only_columns(Payment.id)
    if only_stuck:
        query = query.where(Payment.id.in_(stuck_ids))
    stuck_count = db.session.scalar(
        select(func.count()).select_from(query.where(Payment.id.in_(stuck_ids)).subquery())
    )
    rows = db.session.execute(
        query.options(selectinload(Payment.refunds))
        .order_by(Payment.created_at.desc(), Payment.id.desc())
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE + 1)
    ).all()
    refund_scope = office_scope(staff, *REFUND)
    return render_template(
        "payments/staff_list.html",
        rows=[(payment, application) for payment, application in rows[:PAGE_SIZE]],
        only_stuck=only_stuck,
        stuck_count=stuck_count or 0,
        is_stuck=lambda payment: reconcile.is_stuck(payment, now),
        check_form=PayForm(),
        page=page,
        has_next=len(rows) > PAGE_SIZE,
        refund_form=refund_form,
        refund_target=refund_target,
        export_form=ExportForm(),
        may_export=bool(office_scope(staff, *EXPORT) != frozenset()),
        refundable=lambda payment, application: (
            services.refundable(payment)
            if refund_scope is None or application.office_id in refund_scope
            else 0
        ),
        may_refund=lambda application: (
            refund_scope is None or application.office_id in refund_scope
        ),
        new_request_id=lambda: secrets.token_urlsafe(18),
    )


@bp.get("/verwaltung/zahlungen")
@staff_required(*CASE_READ)
def staff_payments() -> str:
    return _payments_page(RefundForm())


@bp.post("/verwaltung/zahlungen/<public_id>/erstattung")
@staff_required(*REFUND)
def refund(public_id: str) -> BaseResponse | tuple[str, int]:  # noqa: PLR0911
    """Refund (part of) a fee. The payment row is locked for the check and the booking, so two
    clerks at once never refund more than was paid; the form's request id is the idempotency
    key, so a repeated submission books nothing twice."""
    staff = logged_in_staff()
    payment = _locked_payment(staff, public_id, REFUND)
    form = RefundForm()
    if not form.validate_on_submit():
        return _payments_page(form, public_id), 422
    key = f"refund-{payment.public_id}-{form.request_id.data}"
    if services.refund_by_key(key) is not None:
        flash(_("Diese Erstattung ist bereits gebucht."), "info")
        return redirect(url_for(".staff_payments"), 303)
    if form.cents() > services.refundable(payment):
        add_errors(
            form,
            form.amount,
            [
                _(
                    "Höchstens %(max)s können erstattet werden.",
                    max=_euro(services.refundable(payment)),
                )
            ],
        )
        return _payments_page(form, public_id), 422
    refunder = provider_named(payment.provider)
    if refunder is None:
        flash(_("Der Zahlungsanbieter dieser Zahlung ist nicht mehr eingerichtet."), "warning")
        return redirect(url_for(".staff_payments"), 303)
    try:
        reference = refunder.refund(payment, form.cents(), idempotency_key=key)
    except RefundNotOfferedError as kasse:
        return _refund_by_kasse(payment, form, staff, key, str(kasse))
    except ProviderUnavailableError:
        flash(_("Der Zahlungsanbieter hat die Erstattung nicht angenommen."), "warning")
        return redirect(url_for(".staff_payments"), 303)
    services.add_refund(payment, form.cents(), reference, form.reason.data, staff.id, key=key)
    flash(
        _(
            "%(amount)s wurden erstattet (Kassenzeichen %(kz)s).",
            amount=_euro(form.cents()),
            kz=payment.kassenzeichen,
        ),
        "success",
    )
    return redirect(url_for(".staff_payments"), 303)


def _refund_by_kasse(
    payment: Payment, form: RefundForm, staff: StaffAccount, key: str, kasse_email: str
) -> BaseResponse:
    """The payment service cannot refund: the request is recorded (and in the HKR export),
    the Kasse is written to where its address is known, and the clerk is told so."""
    services.add_refund(
        payment, form.cents(), "", form.reason.data, staff.id, key=key, by_kasse=True
    )
    amount = _euro(form.cents())
    if kasse_email:
        reconcile.write_to(
            kasse_email,
            f"Erstattung angefordert: Kassenzeichen {payment.transaction_reference or '–'}",
            f"Bitte erstatten Sie {amount} der Zahlung mit dem Kassenzeichen "
            f"{payment.transaction_reference or '–'} (Portal: {payment.kassenzeichen}, "
            f"Verwendungszweck {payment.purpose}).\nGrund: {form.reason.data}",
        )
    flash(
        _(
            "Der Bezahldienst erstattet nicht selbst. Die Erstattung von %(amount)s ist bei der "
            "Stadtkasse angefordert und steht im Export für die Kasse (Kassenzeichen %(kz)s).",
            amount=amount,
            kz=payment.transaction_reference or payment.kassenzeichen,
        ),
        "info",
    )
    return redirect(url_for(".staff_payments"), 303)


@bp.post("/verwaltung/zahlungen/<public_id>/erstattungen/<int:refund_id>/erstattet")
@staff_required(*REFUND)
def kasse_refunded(public_id: str, refund_id: int) -> BaseResponse:
    """The Stadtkasse paid back a refund it was asked for: recorded once (a repeat changes
    nothing), the payment is erstattet once everything went back, the citizen is told."""
    payment = _locked_payment(logged_in_staff(), public_id, REFUND)
    refund = next((item for item in payment.refunds if item.id == refund_id), None)
    if refund is None or not refund.by_kasse or not PayForm().validate_on_submit():
        abort(404)
    if services.complete_refund(payment, refund):
        flash(
            _(
                "Eingetragen: Die Stadtkasse hat %(amount)s erstattet (Kassenzeichen %(kz)s). "
                "Die antragstellende Person erfährt es im Postfach.",
                amount=_euro(refund.amount_cents),
                kz=payment.transaction_reference or payment.kassenzeichen,
            ),
            "success",
        )
    else:
        flash(_("Diese Erstattung ist bereits als erstattet eingetragen."), "info")
    return redirect(url_for(".staff_payments"), 303)


@bp.post("/verwaltung/zahlungen/<public_id>/pruefen")
@staff_required(*CASE_READ)
def check_now(public_id: str) -> BaseResponse:
    """ "Status jetzt prüfen": ask the provider at once, for payments of the clerk's offices."""
    payment = _locked_payment(logged_in_staff(), public_id, CASE_READ)
    if not PayForm().validate_on_submit():
        abort(404)
    problem = reconcile.check(payment, "staff")
    if problem:
        flash(
            _("Der Zahlungsanbieter war nicht zu erreichen. Das Portal fragt weiter nach."),
            "warning",
        )
    else:
        flash(
            _("Stand beim Zahlungsanbieter: %(state)s.", state=services.state_label(payment.state)),
            "success",
        )
    return redirect(url_for(".staff_payments", ansicht=request.args.get("ansicht", "")), 303)


@bp.get("/verwaltung/zahlungen/export.csv")
@staff_required(*EXPORT)
def export() -> BaseResponse:
    """The HKR export of the offices the person may export for, at most a year, audited."""
    staff = logged_in_staff()
    form = ExportForm(request.args)
    today = dt.datetime.now(dt.UTC).date()
    start = (form.von.data if form.validate() else None) or today.replace(day=1)
    end = (form.bis.data if form.validate() else None) or today
    if not form.validate() or end < start or (end - start).days >= MAX_EXPORT_DAYS:
        flash(
            _(
                "Bitte wählen Sie für den Export einen Zeitraum von höchstens einem Jahr, "
                "„Von“ vor „Bis“, jeweils als Datum."
            ),
            "warning",
        )
        return redirect(url_for(".staff_payments"), 303)
    scope = office_scope(staff, *EXPORT)
    body = services.export_csv(start, end, scope)
    db.session.add(
        AuditEntry(
            staff_id=staff.id,
            action="payments.export",
            detail={
                "from": start.isoformat(),
                "until": end.isoformat(),
                "offices": "alle" if scope is None else ",".join(map(str, sorted(scope))),
            },
        )
    )
    return Response(
        body.encode("utf-8"),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="zahlungen-{start}-{end}.csv"',
            "Cache-Control": "no-store",
        },
    )

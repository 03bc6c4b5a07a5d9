from __future__ import annotations

from flask import Blueprint, current_app, flash, jsonify, redirect, render_template, url_for
from flask_babel import gettext as _
from sqlalchemy import text
from werkzeug.wrappers import Response

from portal.catalog import journeys
from portal.catalog import services as catalog
from portal.catalog.forms import SearchForm
from portal.core.pagecache import shared_page
from portal.core.security import anonymous_write_limit
from portal.core.themes import VIDEO_TYPES
from portal.extensions import db, limiter
from portal.pages.forms import FeedbackForm
from portal.pages.services import record_feedback

bp = Blueprint("pages", __name__, template_folder="templates")


@bp.get("/")
@shared_page
def start() -> str:
    return render_template(
        "pages/start.html",
        themenfelder=catalog.themenfelder(),
        themenfeld_counts=catalog.themenfeld_counts(),
        search_form=SearchForm(formdata=None),
        journeys=journeys.journeys(),
    )


@bp.get("/impressum")
@shared_page
def impressum() -> str:
    return render_template("pages/impressum.html")


@bp.get("/datenschutz")
@shared_page
def datenschutz() -> str:
    return render_template("pages/datenschutz.html")


@bp.get("/leichte-sprache")
@shared_page
def leichte_sprache() -> str:
    """What the portal offers and how to find one's way, in Leichte Sprache (BITV 2.0 § 4)."""
    return render_template(
        "pages/leichte_sprache.html",
        accessibility_contact=current_app.config["PORTAL"].accessibility_contact,
    )


@bp.get("/gebaerdensprache")
@shared_page
def gebaerdensprache() -> str:
    """The same in Deutscher Gebärdensprache: the municipality's videos (theme ``[dgs]``),
    each with its text."""
    themes = current_app.extensions["portal.themes"]
    return render_template(
        "pages/gebaerdensprache.html", videos=themes.dgs_videos(), video_types=VIDEO_TYPES
    )


@bp.route("/barrierefreiheit", methods=["GET", "POST"])
@limiter.limit(anonymous_write_limit, methods=["POST"])
def barrierefreiheit() -> str | Response:
    form = FeedbackForm()
    if form.validate_on_submit():
        record_feedback(
            form.message.data, form.page.data or "", form.name.data or "", form.email.data or ""
        )
        flash(_("Vielen Dank. Ihre Rückmeldung ist bei uns eingegangen."), "success")
        return redirect(url_for("pages.barrierefreiheit"), code=303)
    status = 422 if form.errors else 200
    return render_template("pages/barrierefreiheit.html", form=form), status  # type: ignore[return-value]


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    """Liveness and readiness for load balancers: 200 only when the database answers."""
    checks: dict[str, str] = {}
    try:
        db.session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception:
        current_app.logger.warning("healthz: Datenbank nicht erreichbar", exc_info=True)
        db.session.rollback()
        checks["database"] = "error"
    redis_url = current_app.config["PORTAL"].redis_url
    if redis_url:
        checks["redis"] = _check_redis(redis_url)
    # Domains add their own (e.g. the payment services' status endpoints), named.
    for name, check in current_app.extensions.get("readiness_checks", {}).items():
        checks[name] = "ok" if check() else "error"
    healthy = all(value == "ok" for value in checks.values())
    body = {"status": "ok" if healthy else "error", "checks": checks}
    return jsonify(body), 200 if healthy else 503


def _check_redis(url: str) -> str:
    from redis import Redis  # noqa: PLC0415

    try:
        with Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2) as client:
            client.ping()
    except Exception:
        current_app.logger.warning("healthz: Redis nicht erreichbar", exc_info=True)
        return "error"
    return "ok"

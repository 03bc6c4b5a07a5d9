"""Each authority's own entry to the shared portal: ``/orte/<slug>`` (the address a Gemeinde
links to from its website) and its Impressum and Datenschutz contacts. Opening a place's entry
makes it the chosen place, so every service page then names its offices; the account and the
Postfach stay the same for the whole region."""

from __future__ import annotations

from flask import Blueprint, abort, make_response, render_template
from sqlalchemy import select
from werkzeug.wrappers import Response

from portal.catalog import places
from portal.catalog.journeys import journeys
from portal.catalog.models import Authority, Office
from portal.extensions import db

bp = Blueprint("authorities", __name__, url_prefix="/orte", template_folder="templates")


def _authority(slug: str) -> Authority:
    found: Authority | None = db.session.scalar(select(Authority).where(Authority.slug == slug))
    if found is None:
        abort(404)
    return found


def _offices(authority: Authority) -> list[Office]:
    return list(
        db.session.scalars(
            select(Office)
            .where(Office.authority_id == authority.id, Office.published)
            .order_by(Office.name)
        )
    )


@bp.get("/<slug>")
def entry(slug: str) -> Response:
    authority = _authority(slug)
    parent = db.session.get(Authority, authority.parent_id) if authority.parent_id else None
    members = list(
        db.session.scalars(
            select(Authority).where(Authority.parent_id == authority.id).order_by(Authority.name)
        )
    )
    response = make_response(
        render_template(
            "catalog/authority.html",
            authority=authority,
            parent=parent,
            members=members,
            offices=_offices(authority),
            parent_offices=_offices(parent) if parent is not None else [],
            journeys=journeys(),
        )
    )
    if authority.is_place:
        places.remember(response, authority)
    return response


@bp.get("/<slug>/impressum")
def imprint(slug: str) -> str:
    return render_template("catalog/authority_imprint.html", authority=_authority(slug))

"""JSON API of the catalogue for the Portalverbund and other portals (read only).

Described by the OpenAPI document at ``/api/openapi.json``. Ids are the portal's own row ids,
which stay the same across re-imports. Responses carry ``Cache-Control`` and an ``ETag``;
a client sending ``If-None-Match`` gets ``304 Not Modified``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, jsonify, request
from sqlalchemy import func, select
from werkzeug.exceptions import BadRequest, NotFound
from werkzeug.wrappers import Response

from portal.catalog import places, search, services
from portal.catalog.models import Authority, Leistung, Office
from portal.catalog.openapi import openapi_document
from portal.core.urls import absolute_url
from portal.extensions import db

bp = Blueprint("catalog_api", __name__, url_prefix="/api")
CACHE_SECONDS = 300
MAX_PER_PAGE = 100
MAX_QUERY = 200


def cached(payload: Any) -> Response:
    response = jsonify(payload)
    response.cache_control.public = True
    response.cache_control.max_age = CACHE_SECONDS
    response.add_etag()
    return response.make_conditional(request)


def _int_arg(name: str, default: int, maximum: int) -> int:
    raw = request.args.get(name, "")
    if not raw:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= maximum:
        raise BadRequest(f"'{name}' muss eine ganze Zahl von 1 bis {maximum} sein.")
    return int(raw)


def _summary(leistung: Leistung) -> dict[str, Any]:
    return {
        "id": leistung.id,
        "name": leistung.name,
        "summary": leistung.summary,
        "keys": [row.key for row in leistung.keys],
        "online_url": services.online_url(leistung),
        "url": absolute_url("catalog.leistung", service_id=leistung.id, slug=leistung.slug),
        "api_url": absolute_url(".service", service_id=leistung.id),
    }


@bp.get("/openapi.json")
def openapi() -> Response:
    return cached(openapi_document())


LIST_PARAMETERS = ("q", "themenfeld", "page", "per_page")


@bp.get("/v1/services")
def service_list() -> Response:
    unknown = sorted(set(request.args) - set(LIST_PARAMETERS))
    if unknown:
        raise BadRequest(
            f"Unbekannter Parameter '{unknown[0]}'; erlaubt sind {', '.join(LIST_PARAMETERS)}."
        )
    page = _int_arg("page", 1, 100_000)
    per_page = _int_arg("per_page", 20, MAX_PER_PAGE)
    query = request.args.get("q", "").strip()
    if len(query) > MAX_QUERY:  # as the OpenAPI document says: refused, not silently cut
        raise BadRequest(f"'q' darf höchstens {MAX_QUERY} Zeichen lang sein.")
    themenfeld_slug = request.args.get("themenfeld", "")
    allowed: set[int] | None = None
    if themenfeld_slug:
        feld = services.themenfeld_by_slug(themenfeld_slug)
        if feld is None:
            raise BadRequest(f"Unbekanntes Themenfeld '{themenfeld_slug}'.")
        allowed = set(db.session.scalars(services.published_in_themenfeld(feld)))
    if query:
        ids = [item for item in search.ranked_ids(query) if allowed is None or item in allowed]
        total = len(ids)
        items = search.load_in_order(ids[(page - 1) * per_page : page * per_page])
    else:
        statement = select(Leistung).where(Leistung.published)
        if allowed is not None:
            statement = statement.where(Leistung.id.in_(allowed))
        total = db.session.scalar(select(func.count()).select_from(statement.subquery())) or 0
        items = list(
            db.session.scalars(
                statement.order_by(Leistung.name, Leistung.id)
                .offset((page - 1) * per_page)
                .limit(per_page)
            )
        )
    more = page * per_page < total
    # Built as a query string: a client's parameter never becomes an argument of url_for.
    args = [(key, value) for key, value in request.args.items(multi=True) if key != "page"]
    return cached(
        {
            "items": [_summary(item) for item in items],
            "page": page,
            "per_page": per_page,
            "total": total,
            "next": absolute_url(".service_list") + "?" + urlencode([("page", page + 1), *args])
            if more
            else None,
        }
    )


@bp.get("/v1/services/<int:service_id>")
def service(service_id: int) -> Response:
    leistung = services.published_service(service_id)
    if leistung is None:
        raise NotFound("Keine veröffentlichte Leistung mit dieser id.")
    return cached(
        {
            **_summary(leistung),
            "texts": leistung.texts,
            "fees": leistung.fees,
            "deadlines": leistung.deadlines,
            "processing_times": leistung.processing_times,
            "forms": leistung.forms,
            "links": leistung.links,
            "addressees": leistung.addressees,
            "trust_level": leistung.trust_level,
            "source": leistung.source,
            "changed_at": leistung.source_changed_at.isoformat()
            if leistung.source_changed_at
            else None,
            "lebenslagen": [
                {"key": lage.key, "name": lage.name, "themenfeld": lage.themenfeld.name}
                for lage in services.lebenslagen_of(leistung)
            ],
            "offices": [
                _office_ref(view.office, list(view.area_codes))
                for view in services.responsible_offices(leistung)
            ],
            **_responsible_here(leistung),
        }
    )


def _office_ref(office: Office, areas: list[str]) -> dict[str, Any]:
    return {
        "id": office.id,
        "name": office.name,
        "areas": areas,
        "authority_id": office.authority_id,
        "api_url": absolute_url(".office", office_id=office.id),
    }


def _responsible_here(leistung: Leistung) -> dict[str, Any]:
    """With ``?place=`` (a place's slug, postal code, name or ARS): the offices responsible
    there. A place outside the region, or a postal code shared by several, is a 400."""
    wanted = request.args.get("place", "").strip()[:100]
    if not wanted:
        return {}
    place = places.by_slug(wanted) or places.by_ars(wanted)
    if place is None:
        found = places.find(wanted)
        if len(found) != 1:
            reason = "liegt nicht in der Region" if not found else "passt zu mehreren Orten"
            raise BadRequest(f"'place': „{wanted}“ {reason}; /api/v1/authorities nennt die Orte.")
        place = found[0]
    return {
        "place": _authority(place),
        "responsible_here": [
            _office_ref(office, []) for office in places.responsible_here(leistung, place)
        ],
    }


def _authority(found: Authority) -> dict[str, Any]:
    return {
        "id": found.id,
        "name": found.name,
        "slug": found.slug,
        "ars": found.ars,
        "kind": found.kind.value,
        "parent_id": found.parent_id,
        "postal_codes": list(found.postal_codes or []),
    }


@bp.get("/v1/authorities")
def authorities() -> Response:
    """The region's Gebietskörperschaften: Kreis, Gemeinden, kreisfreie Städte, Land."""
    rows = db.session.scalars(select(Authority).order_by(Authority.name))
    return cached(
        [
            {**_authority(row), "imprint": row.imprint, "privacy_contact": row.privacy_contact}
            for row in rows
        ]
    )


@bp.get("/v1/themenfelder")
def themenfelder() -> Response:
    return cached(
        [
            {
                "key": feld.key,
                "name": feld.name,
                "slug": feld.slug,
                "lebenslagen": [
                    {"key": lage.key, "name": lage.name, "slug": lage.slug}
                    for lage in feld.lebenslagen
                ],
            }
            for feld in services.themenfelder()
        ]
    )


@bp.get("/v1/offices/<int:office_id>")
def office(office_id: int) -> Response:
    found: Office | None = services.published_office(office_id)
    if found is None:
        raise NotFound("Keine veröffentlichte Stelle mit dieser id.")
    view = services.office_view(found)
    return cached(
        {
            "id": found.id,
            "name": found.name,
            "authority_id": found.authority_id,
            "organization": found.organization,
            "address": {
                "street": found.street,
                "postal_code": found.postal_code,
                "city": found.city,
            },
            "phone": view.phone,
            "email": view.email,
            "url": view.url,
            "opening_hours": view.opening_hours,
            "services": [
                {"id": item.id, "name": item.name} for item in services.services_of(found)
            ],
        }
    )

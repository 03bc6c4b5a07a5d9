"""Catalogue pages: Themenfeld → Lebenslage → Leistung, and one page per office."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from portal.catalog import journeys, places, search, services
from portal.catalog.forms import ForgetPlaceForm, PickPlaceForm, PlaceForm, SearchForm
from portal.catalog.models import Authority
from portal.core.formtools import add_errors
from portal.core.pagecache import shared_page
from portal.core.security import anonymous_write_limit, is_safe_local_path
from portal.core.urls import absolute_url
from portal.extensions import limiter

bp = Blueprint("catalog", __name__, template_folder="templates")
SEARCH_PAGE_SIZE = 20


bp.add_app_template_filter(services.citizen_label, "label")


@bp.get("/themen/<slug>")
@shared_page
def themenfeld(slug: str) -> str:
    feld = services.themenfeld_by_slug(slug) or abort(404)
    return render_template(
        "catalog/themenfeld.html", themenfeld=feld, counts=services.service_counts(feld)
    )


@bp.get("/themen/<themenfeld_slug>/<slug>")
@shared_page
def lebenslage(themenfeld_slug: str, slug: str) -> str:
    feld = services.themenfeld_by_slug(themenfeld_slug) or abort(404)
    lage = services.lebenslage_by_slug(feld, slug) or abort(404)
    return render_template(
        "catalog/lebenslage.html",
        themenfeld=feld,
        lebenslage=lage,
        leistungen=services.services_for(lage),
    )


@bp.get("/leistungen/<int:service_id>", defaults={"slug": ""})
@bp.get("/leistungen/<int:service_id>/<slug>")
@shared_page
def leistung(service_id: int, slug: str) -> str | Response:
    item = services.published_service(service_id) or abort(404)
    if slug != item.slug:
        return redirect(url_for(".leistung", service_id=item.id, slug=item.slug), code=301)
    language = str(get_locale() or "de")
    offices = services.responsible_offices(item)
    region = places.is_region()
    place = places.current_place() if region else None
    link = services.online_url(item, place)
    url = absolute_url(".leistung", service_id=item.id, slug=item.slug)
    here = places.responsible_here(item, place) if place is not None else None
    everywhere = services.booking_places(item)
    bookable = services.booking_places_of(everywhere, here) if here else everywhere
    return render_template(
        "catalog/leistung.html",
        leistung=item,
        modules=services.modules(item, language),
        offices=offices,
        online_url=link,
        # The portal's own form exists but goes to an office not responsible for the place.
        online_elsewhere=link is None and place is not None and bool(services.online_url(item)),
        booking_places=bookable,
        # Appointments are booked online elsewhere, but not with the offices of this place.
        booking_elsewhere=bool(here) and not bookable and bool(everywhere),
        region=region,
        place=place,
        here=[services.office_view(o) for o in here] if here is not None else [],
        # Nobody known for this place: the place's own administration says who is.
        town=services.offices_of_authority(place.id) if place is not None and not here else [],
        finder=places.NATIONAL_FINDER,
        lebenslagen=services.lebenslagen_of(item),
        you_need=services.you_need(item, link),
        structured_data=services.structured_data(item, url, link, offices),
    )


@bp.get("/stellen/<int:office_id>", defaults={"slug": ""})
@bp.get("/stellen/<int:office_id>/<slug>")
@shared_page
def stelle(office_id: int, slug: str) -> str | Response:
    office = services.published_office(office_id) or abort(404)
    if slug != office.slug:
        return redirect(url_for(".stelle", office_id=office.id, slug=office.slug), code=301)
    return render_template(
        "catalog/stelle.html",
        view=services.office_view(office),
        leistungen=services.services_of(office),
    )


@bp.get("/suche")
@shared_page
def suche() -> tuple[str, int]:
    form = SearchForm(formdata=request.args)
    query = (form.q.data or "").strip()
    ids: list[int] = []
    partial = False
    valid = form.validate()
    language = str(get_locale() or "de")
    if valid and query:
        ids, partial = search.ranked(
            query,
            online_only=bool(form.online.data),
            addressee=form.fuer.data or "",
            language=language,
        )
    pages = max(1, -(-len(ids) // SEARCH_PAGE_SIZE))
    page = min(form.seite.data or 1, pages) if valid else 1
    shown = ids[(page - 1) * SEARCH_PAGE_SIZE : page * SEARCH_PAGE_SIZE]
    args = {key: value for key, value in request.args.items() if key != "seite"}
    results = search.load_in_order(shown)
    corrected = (
        search.corrected_query(query, [item.name for item in results], language)
        if ids and not partial
        else None
    )
    return (
        render_template(
            "catalog/suche.html",
            corrected=corrected,
            partial=partial,
            form=form,
            query=query,
            total=len(ids),
            results=results,
            page=page,
            pages=pages,
            first_rank=(page - 1) * SEARCH_PAGE_SIZE + 1,
            page_args=args,
            themenfelder=services.themenfelder() if query and not ids else [],
        ),
        200 if valid else 422,
    )


@bp.get("/a-z", defaults={"letter": ""})
@bp.get("/a-z/<letter>")
@shared_page
def a_z(letter: str) -> str | Response:
    letters = services.a_to_z()
    if not letter:
        first = next((entry for entry in [*services.ALPHABET, "#"] if entry in letters), "A")
        return redirect(url_for(".a_z", letter=first))
    if letter.upper() != letter and letter.upper() in services.ALPHABET:
        return redirect(url_for(".a_z", letter=letter.upper()), code=301)
    if letter not in services.ALPHABET and letter != "#":
        abort(404)
    return render_template(
        "catalog/a_z.html",
        letters=letters,
        letter=letter,
        alphabet=[*services.ALPHABET, "#"],
        entries=letters.get(letter, []),
    )


@bp.get("/sitemap.xml")
@shared_page
def sitemap() -> Response:
    pages: list[tuple[str, dict[str, Any]]] = [("pages.start", {})]
    pages += [("catalog.a_z", {"letter": letter}) for letter in sorted(services.a_to_z())]
    pages += services.sitemap_entries()
    pages += [("pages.impressum", {}), ("pages.datenschutz", {}), ("pages.barrierefreiheit", {})]
    urls = [absolute_url(endpoint, **values) for endpoint, values in pages]
    body = render_template("catalog/sitemap.xml", urls=urls)
    return Response(body, mimetype="application/xml")


def _next_path(value: str | None) -> str:
    return value if value and is_safe_local_path(value) else url_for("pages.start")


def _remember(place: Authority, target: str) -> Response:
    response = redirect(target, 303)
    places.remember(response, place)
    flash(_("Ihr Wohnort: %(place)s. Die Seiten nennen jetzt die Stellen, die dort zuständig "
            "sind.", place=place.name), "success")  # fmt: skip
    return response


def _place_page(
    form: PlaceForm,
    pick: PickPlaceForm,
    *,
    outside: str = "",
    several: str = "",
    status: int = 200,
) -> tuple[str, int]:
    if not pick.place.choices:
        pick.place.choices = [SelectChoice(p.slug, p.name) for p in places.places()]
    page = render_template(
        "catalog/ort.html",
        form=form,
        pick=pick,
        forget=ForgetPlaceForm(next=form.next.data),
        current=places.current_place(),
        outside=outside,
        several=several,
        finder=places.NATIONAL_FINDER,
    )
    return page, status


@bp.get("/ort")
def place() -> tuple[str, int]:
    target = request.args.get("next", "")
    return _place_page(PlaceForm(next=target), PickPlaceForm(next=target))


@bp.post("/ort")
@limiter.limit(anonymous_write_limit)
def find_place() -> Response | tuple[str, int]:
    form = PlaceForm()
    pick = PickPlaceForm(formdata=None, next=form.next.data)
    if not form.validate_on_submit():
        return _place_page(form, pick, status=422)
    found = places.find(form.q.data)
    if len(found) == 1:
        return _remember(found[0], _next_path(form.next.data))
    if not found:
        add_errors(form, form.q, [_("„%(text)s“ liegt nicht in unserer Region.",
                                    text=form.q.data.strip())])  # fmt: skip
        return _place_page(form, pick, outside=form.q.data.strip(), status=422)
    pick.place.choices = [SelectChoice(p.slug, p.name) for p in found]
    return _place_page(form, pick, several=form.q.data.strip())


@bp.post("/ort/waehlen")
@limiter.limit(anonymous_write_limit)
def pick_place() -> Response | tuple[str, int]:
    pick = PickPlaceForm()
    pick.place.choices = [SelectChoice(p.slug, p.name) for p in places.places()]
    if not pick.validate_on_submit():
        return _place_page(PlaceForm(formdata=None, next=pick.next.data), pick, status=422)
    chosen = places.by_slug(pick.place.data)
    if chosen is None:
        abort(404)
    return _remember(chosen, _next_path(pick.next.data))


@bp.post("/ort/vergessen")
def forget_place() -> Response:
    form = ForgetPlaceForm()
    if not form.validate_on_submit():
        abort(400)
    response = redirect(_next_path(form.next.data), 303)
    response.delete_cookie(places.PLACE_COOKIE)
    return response


@bp.get("/lebenslagen/<slug>")
@shared_page
def journey(slug: str) -> str:
    found = journeys.by_slug(slug) or abort(404)
    region = places.is_region()
    place = places.current_place() if region else None
    return render_template(
        "catalog/journey.html",
        journey=found,
        steps=journeys.steps(found, place),
        region=region,
        place=place,
    )

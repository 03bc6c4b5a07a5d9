"""GET /metrics: refused without its token, and the figures move with what happens."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.orm import Session, scoped_session

from portal.config import ConfigError
from portal.core.jobs import InProcessQueue, Job
from portal.extensions import db
from portal.handoff.models import DeliveryState
from tests.factories import make_application, make_delivery, make_form, make_office, make_person

TOKEN = "metrics-token-for-tests-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def scraper(make_app: Callable[..., Flask], db_session: scoped_session[Session]) -> FlaskClient:
    return make_app(metrics_token=TOKEN).test_client()


def sample(client: FlaskClient, name: str, **labels: str) -> float:
    """The value of one sample of the exposition (0 when it is not there yet)."""
    response = client.get("/metrics", headers=AUTH)
    assert response.status_code == 200, response.status_code
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for each in family.samples:
            if each.name == name and all(each.labels.get(k) == v for k, v in labels.items()):
                return float(each.value)
    return 0.0


def test_without_a_token_setting_there_is_no_metrics_endpoint(client: FlaskClient) -> None:
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers={"Authorization": "Bearer anything"}).status_code == 404


@pytest.mark.parametrize(
    "header",
    [None, "Bearer wrong-token-wrong-token-0000", f"Basic {TOKEN}", f"Bearer {TOKEN}x", "Bearer"],
)
def test_metrics_refuse_a_missing_or_wrong_token(scraper: FlaskClient, header: str | None) -> None:
    response = scraper.get("/metrics", headers={"Authorization": header} if header else {})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert b"portal_http_requests_total" not in response.data


def test_a_short_token_stops_the_start(make_app: Callable[..., Flask]) -> None:
    with pytest.raises(ConfigError, match="PORTAL_METRICS_TOKEN"):
        make_app(metrics_token="short")


def test_requests_are_counted_per_route_and_status(scraper: FlaskClient) -> None:
    before = sample(scraper, "portal_http_requests_total", endpoint="pages.impressum", status="200")
    missing = sample(scraper, "portal_http_requests_total", endpoint="unbekannt", status="404")
    assert scraper.get("/impressum").status_code == 200
    assert scraper.get("/gibt-es-nicht").status_code == 404
    assert (
        sample(scraper, "portal_http_requests_total", endpoint="pages.impressum", status="200")
        == before + 1
    )
    assert (
        sample(scraper, "portal_http_requests_total", endpoint="unbekannt", status="404")
        == missing + 1
    )
    assert (
        sample(scraper, "portal_http_request_duration_seconds_count", endpoint="pages.impressum")
        >= 1
    )
    # Scrapes themselves are not counted, so they do not drown the figures.
    assert sample(scraper, "portal_http_requests_total", endpoint="metrics") == 0


@pytest.mark.usefixtures("app_context")
def test_deliveries_given_up_and_waiting_show(scraper: FlaskClient) -> None:
    given_up = sample(scraper, "portal_handoff_deliveries", state="aufgegeben")
    waiting = sample(scraper, "portal_handoff_deliveries", state="wartend")
    office = make_office()
    form = make_form(office)
    application = make_application(form, make_person())
    make_delivery(application, state=DeliveryState.GIVEN_UP)
    make_delivery(make_application(form, make_person()), state=DeliveryState.WAITING)
    db.session.commit()
    assert sample(scraper, "portal_handoff_deliveries", state="aufgegeben") == given_up + 1
    assert sample(scraper, "portal_handoff_deliveries", state="wartend") == waiting + 1


def test_rejected_payment_webhooks_are_counted(scraper: FlaskClient) -> None:
    before = sample(scraper, "portal_payment_webhook_failures_total", reason="abgelehnt")
    response = scraper.post("/zahlung/test/webhook", data=b"{not json", content_type="text/plain")
    assert response.status_code == 400
    after = sample(scraper, "portal_payment_webhook_failures_total", reason="abgelehnt")
    assert after == before + 1


def _failing_job() -> None:
    raise RuntimeError("boom")


def test_failed_background_jobs_are_counted(app: Flask, scraper: FlaskClient) -> None:
    name = f"{__name__}._failing_job"
    before = sample(scraper, "portal_job_failures_total", job=name)
    with app.app_context():
        InProcessQueue().dispatch(Job(_failing_job))  # logged and counted, not raised
    assert sample(scraper, "portal_job_failures_total", job=name) == before + 1

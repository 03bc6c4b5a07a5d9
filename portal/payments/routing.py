"""Which payment provider takes which fee.

``PORTAL_PAYMENT_PROVIDER`` names where new payments go; ``PORTAL_PAYMENT_ROUTES`` sends the
fees of one office, or of one form, elsewhere: ``ordnungsamt=xbd:stadtkasse;
form:bewohnerparkausweis=xbd:kreiskasse``. A form's route wins over its office's. Every name is
checked at start-up; office references are resolved to office ids on first use (they need the
database) and a reference that names no office stops the payment with the setting's name, so a
fee never goes to a guessed Kasse.
"""

from __future__ import annotations

from flask import Flask, current_app

from portal.applications.models import Application
from portal.catalog.offices import by_office_id
from portal.config import ConfigError
from portal.payments.providers import PAYMENT_PROVIDERS, PaymentProvider, provider
from portal.payments.xbezahldienste import xbezahldienste_providers


def routes_from(spec: str) -> dict[str, str]:
    routes: dict[str, str] = {}
    for part in filter(None, (piece.strip() for piece in spec.split(";"))):
        reference, _, name = (text.strip() for text in part.partition("="))
        if not reference or not name:
            raise ConfigError(
                f"PORTAL_PAYMENT_ROUTES: „{part}“ ist kein Paar Amt=Anbieter "
                "(oder form:Formular=Anbieter)."
            )
        if reference in routes:
            raise ConfigError(f"PORTAL_PAYMENT_ROUTES: „{reference}“ steht zweimal darin.")
        routes[reference] = name
    return routes


def init_providers(app: Flask) -> None:
    """Build every provider a setting names at start-up: an unknown name or missing
    credentials stop the start with a message naming the setting."""
    settings = app.config["PORTAL"]
    providers: dict[str, PaymentProvider] = dict(xbezahldienste_providers(app))
    chosen = settings.payment_provider or ("stripe" if settings.stripe_secret_key else "test")
    routes = routes_from(settings.payment_routes)
    wanted = [chosen, *routes.values()]
    if settings.stripe_secret_key:
        wanted.append("stripe")  # refunds and status of older payments
    known = sorted({*PAYMENT_PROVIDERS, *providers})
    for name in wanted:
        if name in providers:
            continue
        if name not in PAYMENT_PROVIDERS:
            setting = "PORTAL_PAYMENT_PROVIDER" if name == chosen else "PORTAL_PAYMENT_ROUTES"
            raise ConfigError(
                f"{setting}: unbekannter Zahlungsanbieter „{name}“ ({', '.join(known)})."
            )
        providers[name] = PAYMENT_PROVIDERS[name](app)
    app.extensions["payment_providers"] = providers
    app.extensions["payment_provider"] = providers[chosen]
    app.extensions["payment_routes"] = routes


def office_routes() -> dict[int, str]:
    cached: dict[int, str] | None = current_app.extensions.get("payment_office_routes")
    if cached is not None:
        return cached
    routes: dict[str, str] = current_app.extensions["payment_routes"]
    offices = {ref: name for ref, name in routes.items() if not ref.startswith("form:")}
    resolved = by_office_id(offices, "PORTAL_PAYMENT_ROUTES")
    current_app.extensions["payment_office_routes"] = resolved
    return resolved


def provider_for(application: Application) -> PaymentProvider:
    """The provider that takes this application's fee now."""
    routes: dict[str, str] = current_app.extensions["payment_routes"]
    name = routes.get(f"form:{application.form_key}")
    if name is None and application.office_id is not None:
        name = office_routes().get(application.office_id)
    if name is None:
        return provider()
    found: PaymentProvider = current_app.extensions["payment_providers"][name]
    return found

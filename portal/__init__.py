"""Serviceportal: the virtuelles Rathaus. ``create_app()`` builds the application."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from portal.applications import init_applications
from portal.appointments import init_appointments
from portal.config import Settings
from portal.core.assets import init_assets
from portal.core.cli import register_commands
from portal.core.compression import init_compression
from portal.core.db import include_in_migrations, render_migration_item
from portal.core.errors import init_errors
from portal.core.i18n import init_i18n
from portal.core.jobs import init_jobs
from portal.core.logs import init_logging
from portal.core.mail import init_mail
from portal.core.metrics import init_metrics
from portal.core.pagecache import init_page_cache
from portal.core.security import init_security
from portal.core.storage import init_storage
from portal.core.textrules import init_text_rules
from portal.core.themes import init_themes
from portal.core.uow import init_unit_of_work
from portal.core.urls import init_urls
from portal.dashboard import init_dashboard
from portal.extensions import db, migrate
from portal.handoff import init_handoff
from portal.identity import init_identity
from portal.officeapi import init_officeapi
from portal.payments import init_payments
from portal.postfach import init_postfach
from portal.retention import init_retention


def create_app(overrides: Mapping[str, Any] | None = None) -> Flask:
    """Build the portal from ``PORTAL_*`` settings; ``overrides`` win over the environment.

    Touches neither the database nor the network: start-up must work while they are down.
    """
    settings = Settings.load(overrides=overrides)
    app = Flask(__name__, instance_path=settings.instance_path, static_folder=None)
    init_config(app, settings)
    init_compression(app)  # first, so that it sees every response last
    init_logging(app)
    init_metrics(app)
    init_urls(app)
    init_db(app)
    init_security(app)
    init_text_rules(app)
    init_i18n(app)
    init_themes(app)
    init_assets(app)
    init_jobs(app)
    init_mail(app)
    init_storage(app)
    init_page_cache(app)
    init_errors(app)
    register_blueprints(app)
    register_commands(app)
    init_identity(app)
    init_applications(app)
    init_payments(app)
    init_handoff(app)
    init_postfach(app)
    init_retention(app)
    init_appointments(app)
    init_dashboard(app)
    init_officeapi(app)
    return app


def init_config(app: Flask, settings: Settings) -> None:
    app.config.update(
        PORTAL=settings,
        SECRET_KEY=settings.secret_key,
        TESTING=settings.env == "test",
        MAX_CONTENT_LENGTH=20 * 1024 * 1024,
    )
    if settings.trusted_proxies:
        count = settings.trusted_proxies
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=count, x_proto=count, x_host=count, x_port=count
        )


def init_db(app: Flask) -> None:
    settings: Settings = app.config["PORTAL"]
    app.config["SQLALCHEMY_DATABASE_URI"] = settings.database_url
    # hide_parameters: a database error's message (logged) never carries the values of a row,
    # which may be a person's name or address.
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": True, "hide_parameters": True}
    db.init_app(app)
    migrate.init_app(
        app,
        db,
        directory=str(settings.migrations_dir),
        render_as_batch=True,  # SQLite can only alter tables by copying them
        compare_type=True,
        render_item=render_migration_item,
        include_object=include_in_migrations,
    )
    init_unit_of_work(app)


def register_blueprints(app: Flask) -> None:
    # Imported here: routes import models, which need the extensions defined first.
    from portal.backoffice.appointments import bp as backoffice_appointments  # noqa: PLC0415
    from portal.backoffice.clients import bp as apiclients  # noqa: PLC0415
    from portal.backoffice.decisions import bp as decisions  # noqa: PLC0415
    from portal.backoffice.formulare import bp as formulare  # noqa: PLC0415
    from portal.backoffice.journeys import bp as journeys  # noqa: PLC0415
    from portal.backoffice.redaktion import bp as redaktion  # noqa: PLC0415
    from portal.backoffice.routes import bp as backoffice  # noqa: PLC0415
    from portal.backoffice.statistics import bp as statistics  # noqa: PLC0415
    from portal.catalog import demo as _catalog_demo  # noqa: F401, PLC0415 - registers loader
    from portal.catalog.api import bp as catalog_api  # noqa: PLC0415
    from portal.catalog.authority_pages import bp as authorities  # noqa: PLC0415
    from portal.catalog.cli import authorities_cli, catalog_cli  # noqa: PLC0415
    from portal.catalog.places import PLACE_COOKIE  # noqa: PLC0415
    from portal.catalog.routes import bp as catalog  # noqa: PLC0415
    from portal.core.errors import answer_with_problems  # noqa: PLC0415
    from portal.identity import demo as _identity_demo  # noqa: F401, PLC0415 - registers loader
    from portal.identity.cli import staff_cli  # noqa: PLC0415
    from portal.pages.routes import bp as pages  # noqa: PLC0415

    app.register_blueprint(pages)
    app.register_blueprint(catalog)
    app.config["PAGE_CACHE_VARY"].append(PLACE_COOKIE)  # a service page names the place's office
    app.register_blueprint(catalog_api)
    answer_with_problems(app, "/api/")  # every API error, unmatched addresses too, as JSON
    app.register_blueprint(authorities)
    app.register_blueprint(backoffice)
    app.register_blueprint(decisions)
    app.register_blueprint(statistics)
    app.register_blueprint(redaktion)
    app.register_blueprint(journeys)
    app.register_blueprint(apiclients)
    app.register_blueprint(backoffice_appointments)
    app.register_blueprint(formulare)
    app.cli.add_command(catalog_cli)
    app.cli.add_command(authorities_cli)
    app.cli.add_command(staff_cli)

"""The public OZG dashboard (/digitalisierung) and the portal's open data. A screen package:
it reads every domain's figures and nothing imports it."""

from __future__ import annotations

from cachetools import TTLCache
from flask import Flask


def init_dashboard(app: Flask) -> None:
    from portal.config import ConfigError  # noqa: PLC0415
    from portal.dashboard import demo  # noqa: F401, PLC0415 - registers the history loader
    from portal.dashboard.dcat import contributor  # noqa: PLC0415
    from portal.dashboard.routes import bp  # noqa: PLC0415

    try:  # a wrong Datenbereitsteller-ID stops the start, not the first harvest
        contributor(app.config["PORTAL"].dcat_contributor_id, "Serviceportal")
    except ValueError as error:
        raise ConfigError(str(error)) from None
    seconds = app.config["PORTAL"].dashboard_cache_seconds
    app.extensions["dashboard_cache"] = TTLCache(maxsize=1, ttl=seconds) if seconds else None
    app.register_blueprint(bp)

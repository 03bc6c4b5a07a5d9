"""Typed settings read from ``PORTAL_*`` environment variables.

Every setting has a typed default; the environment overrides it; ``create_app(overrides)`` overrides
both (tests use that). Invalid values fail at start-up with a message that names the variable.
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
import secrets
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, get_args, get_type_hints
from urllib.parse import urlsplit

Environment = Literal["development", "test", "production"]
ENVIRONMENTS: tuple[str, ...] = get_args(Environment)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
MIN_SECRET_BYTES = 32
# Values that someone may have copied from an example; never acceptable in production.
KNOWN_WEAK_SECRETS = frozenset({"dev", "secret", "changeme", "change-me", "development", "test"})
# Words that give away a copied example or a typed phrase inside a longer secret.
KNOWN_WEAK_WORDS = ("changeme", "change-me", "secret", "example", "password", "passwort")
MIN_BITS = 128


class ConfigError(RuntimeError):
    """Raised when the settings cannot be used; the message names the variable to fix."""


@dataclasses.dataclass(frozen=True)
class Settings:
    """The portal's settings. Field ``foo_bar`` is read from ``PORTAL_FOO_BAR``."""

    env: Environment = "development"
    secret_key: str = ""
    database_url: str = ""
    redis_url: str = ""
    job_queue: str = "portal"
    theme: str = "default"
    themes_dir: str = str(PROJECT_ROOT / "themes")
    instance_path: str = str(PROJECT_ROOT / "instance")
    smtp_url: str = ""
    mail_from: str = "serviceportal@localhost"
    mail_links: int = 1  # 0: notices carry no link, only "log in as usual"
    accessibility_contact: str = "barrierefreiheit@localhost"
    default_locale: str = "de"
    trusted_proxies: int = 0
    # The portal's public address, e.g. https://service.musterstadt.de: absolute URLs (sitemap,
    # JSON-LD, API links, payment and login returns) start with it; required in production,
    # where requests for other hosts are refused. ALLOWED_HOSTS: more host names to accept.
    base_url: str = ""
    allowed_hosts: str = ""
    page_cache_size: int = 1000
    # Bearer token for GET /metrics (Prometheus); empty: the endpoint does not exist.
    metrics_token: str = ""
    # How long the public dashboard's figures are kept per process; 0: computed on every visit.
    dashboard_cache_seconds: int = 300
    # The operator's DCAT-AP.de Datenbereitsteller-ID (dcat-ap.de/def/contributors/<id>), which
    # GovData assigns; a bare id or the whole IRI. Empty: one built from the municipality's name.
    dcat_contributor_id: str = ""
    # "json": one JSON object per log line (request id included); "text": for reading by eye.
    log_format: str = "json"
    # 1: the app compresses pages (Brotli or gzip, as the client asks); 0: a reverse proxy does.
    # Static files are always sent compressed when the client accepts it (see core.assets).
    compress: int = 1
    # Citizen login (BundID-like). Empty issuer: the built-in test provider (not in production).
    oidc_issuer: str = ""
    oidc_client_id: str = ""
    oidc_client_secret: str = ""
    oidc_scope: str = "openid profile email address phone"
    oidc_trust_claim: str = "acr"
    oidc_trust_values: str = (
        "STORK-QAA-Level-1=basisregistrierung,STORK-QAA-Level-3=substanziell,STORK-QAA-Level-4=hoch"
    )
    oidc_claims: str = ""
    oidc_algorithms: str = "RS256,PS256,ES256"
    # Organisationskonto; empty issuer: the citizen provider's settings.
    org_oidc_issuer: str = ""
    org_oidc_client_id: str = ""
    org_oidc_client_secret: str = ""
    org_oidc_scope: str = "openid profile email organisation"
    org_oidc_claims: str = ""
    # Staff of the Ämter; empty issuer: the built-in test provider (not in production).
    staff_oidc_issuer: str = ""
    staff_oidc_client_id: str = ""
    staff_oidc_client_secret: str = ""
    staff_oidc_scope: str = "openid profile email"
    login_rate_limit: str = "30 per minute"
    # Office API (Fachverfahren): calls per bearer token
    office_api_rate_limit: str = "600 per minute"

    # Files (uploads, receipts): a local folder by default. Keys are Fernet keys, comma-separated;
    # the first encrypts, all decrypt (rotation). Development derives one from the secret key.
    storage_path: str = ""
    storage_keys: str = ""
    storage_s3_bucket: str = ""  # set: files go to this S3-compatible bucket
    storage_s3_endpoint: str = ""  # e.g. https://s3.example.de for MinIO/Ceph; empty: AWS
    storage_s3_region: str = ""
    storage_s3_prefix: str = "serviceportal/"
    upload_max_bytes: int = 10 * 1024 * 1024
    clamd_address: str = ""  # "host:port" of a clamd; empty: no virus scan
    reference_prefix: str = "SP"
    # ePayment: Stripe Checkout when a secret key is set, else the test provider (never in
    # production). The API base is for a local stand-in in tests.
    # Hand-off to DMS / Fachverfahren: "office=folder:/path;*=webhook:https://…" (see README).
    # Empty: every office's packages go to the folder instance/handoff.
    handoff_targets: str = ""
    # Where the Baukasten's Testanträge go ("kind:where"); empty: the folder instance/handoff-test.
    handoff_test_target: str = ""
    handoff_webhook_secret: str = ""
    handoff_alert_email: str = ""
    handoff_max_attempts: int = 12
    # FIT-Connect targets ("office=fitconnect:<destination id>"): the Submission API and its
    # OAuth token endpoint (FITKO's test environment by default), and the sender's client.
    fitconnect_submission_url: str = "https://submission-api-testing.fit-connect.fitko.dev"
    fitconnect_token_url: str = "https://auth-testing.fit-connect.fitko.dev/token"  # noqa: S105
    fitconnect_client_id: str = ""
    fitconnect_client_secret: str = ""
    fitconnect_scope: str = ""
    # A retrieved Bescheid counts as delivered this many days after retrieval.
    decision_delivery_days: int = 1
    # Retention after a case is closed: files (uploads, Postfach attachments except Bescheide)
    # go after the first period, the rest of the case but its register entry after the second.
    retention_file_days: int = 90
    retention_case_days: int = 730
    # Region: the authority (URL name, see `flask authorities list`) this process serves when
    # a visitor has chosen no place: a Gemeinde's own host name, run with its own theme.
    home_authority: str = ""
    # Appointments: kept this many days after their day, then deleted.
    retention_appointment_days: int = 30
    retention_test_days: int = 14  # Testanträge of the Baukasten
    # Appointments: the Land whose public holidays close every calendar (e.g. "BY", "NW");
    # empty: only the nationwide holidays.
    appointment_holidays: str = ""
    # Appointments of an office booked elsewhere: "office=kind:where" pairs separated by ";"
    # (kinds in appointments.providers.PROVIDER_KINDS, e.g. "buergerbuero=link:https://tevis…");
    # every other office uses the portal's own calendars.
    appointment_providers: str = ""
    # Appointments booked without a confirmed address are held this many minutes until the
    # citizen confirms from the e-mail; then the time is free again.
    appointment_hold_minutes: int = 20
    # At most this many open appointments (held or booked, still to come) per e-mail address
    # and calendar.
    appointment_max_open: int = 2
    # Booking attempts per client address and per e-mail address (Flask-Limiter notation).
    appointment_rate_limit: str = "20 per hour"
    appointment_email_rate_limit: str = "5 per hour"
    # Staff are shown an address or a client that holds at least this many open appointments
    # in one calendar, and the log warns when a calendar gets this many holds in 10 minutes.
    appointment_alert_threshold: int = 5
    appointment_burst_threshold: int = 60
    # Other writes without a login (accessibility feedback, the place chooser), per address.
    anonymous_rate_limit: str = "10 per hour"
    # Drafts: at most this many open per account; saving a step at most this often per account.
    draft_max_open: int = 25
    draft_rate_limit: str = "120 per minute"
    # Where new payments go: a name of payments.providers.PAYMENT_PROVIDERS ("stripe", "test");
    # empty: stripe when a Stripe key is set, else the test provider (never in production).
    payment_provider: str = ""
    stripe_secret_key: str = ""
    stripe_webhook_secret: str = ""
    stripe_api_base: str = "https://api.stripe.com"
    stripe_checkout_origin: str = "https://checkout.stripe.com"
    # The municipality's own payment services over XBezahldienste, by name, as JSON:
    # {"stadtkasse": {"base_url": …, "token_url": …, "client_id": …, "client_secret": …,
    # "originator_id": …, "endpoint_id": …}} (see README). Each is the provider "xbd:<name>";
    # "xbd:testdienst" is the built-in stand-in (never in production).
    xbezahldienste: str = ""
    # Which provider takes the fees of which office or form: "office=provider" pairs separated
    # by ";", "form:<form key>=provider" for one form; the rest go to PAYMENT_PROVIDER.
    payment_routes: str = ""
    # A payment not final this many minutes after its attempt started counts as stuck (staff
    # see it, the operator is told); the provider is asked until this many hours have passed.
    payment_stuck_minutes: int = 30
    payment_check_hours: int = 72
    payment_alert_email: str = ""

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def migrations_dir(self) -> Path:
        return PROJECT_ROOT / "migrations"

    @classmethod
    def load(
        cls, environ: Mapping[str, str] | None = None, overrides: Mapping[str, Any] | None = None
    ) -> Settings:
        """Build settings from defaults, then ``PORTAL_*`` variables, then ``overrides``."""
        environ = os.environ if environ is None else environ
        hints = get_type_hints(cls)
        values: dict[str, Any] = {}
        for field in dataclasses.fields(cls):
            raw = environ.get(f"PORTAL_{field.name.upper()}")
            if raw is None:
                continue
            if hints[field.name] is int:
                try:
                    values[field.name] = int(raw)
                except ValueError:
                    raise ConfigError(
                        f"PORTAL_{field.name.upper()} muss eine ganze Zahl sein, nicht {raw!r}."
                    ) from None
            else:
                values[field.name] = raw.strip()
        for key, value in (overrides or {}).items():
            if key not in hints:
                raise ConfigError(f"Unbekannte Einstellung: {key}")
            values[key] = value
        if values.get("env", "development") not in ENVIRONMENTS:
            raise ConfigError(
                f"PORTAL_ENV muss einer der Werte {', '.join(ENVIRONMENTS)} sein, "
                f"nicht {values['env']!r}."
            )
        return cls(**values).finish()

    def finish(self) -> Settings:
        """Fill in derived defaults and enforce the production rules."""
        instance = Path(self.instance_path)
        changes: dict[str, Any] = {}
        if not self.database_url:
            changes["database_url"] = f"sqlite:///{instance / 'portal.db'}"
        if not self.storage_path:
            changes["storage_path"] = str(instance / "files")
        if self.base_url:
            changes["base_url"] = check_base_url(self.base_url)
        if not re.fullmatch(r"[A-Z0-9]{1,10}", self.reference_prefix):
            # The Aktenzeichen heads the Verwendungszweck: at most 27 of [A-Za-z0-9 -].
            raise ConfigError(
                "PORTAL_REFERENCE_PREFIX: ein bis zehn Großbuchstaben oder Ziffern, z. B. SP, "
                f"nicht {self.reference_prefix!r}."
            )
        if self.log_format not in ("json", "text"):
            raise ConfigError(f"PORTAL_LOG_FORMAT: json oder text, nicht {self.log_format!r}.")
        if self.metrics_token and len(self.metrics_token) < 16:
            raise ConfigError("PORTAL_METRICS_TOKEN ist zu kurz: mindestens 16 Zeichen.")
        if self.is_production:
            check_production_secret(self.secret_key)
            if not self.base_url:
                raise ConfigError(
                    "PORTAL_BASE_URL fehlt: in production entstehen absolute Adressen nur aus "
                    "der eingestellten Adresse des Portals, z. B. https://service.musterstadt.de."
                )
            if not self.base_url.startswith("https://"):
                raise ConfigError(
                    "PORTAL_BASE_URL muss in production mit https:// beginnen: Anmeldung, "
                    "Zahlung und Postfach gehen nie unverschlüsselt über das Netz."
                )
            if not self.storage_keys:
                raise ConfigError(
                    "PORTAL_STORAGE_KEYS fehlt: in production werden Dateien mit eigenen "
                    "Schlüsseln verschlüsselt (Fernet, z. B. aus "
                    "`python -c 'from cryptography.fernet import Fernet; "
                    "print(Fernet.generate_key().decode())'`)."
                )
        elif not self.secret_key:
            changes["secret_key"] = (
                secrets.token_urlsafe(48) if self.env == "test" else _instance_secret(instance)
            )
        return dataclasses.replace(self, **changes) if changes else self


def check_base_url(value: str) -> str:
    """``https://host[:port]`` (``http`` too, for a local test) without path, query or slash."""
    parts = urlsplit(value.strip())
    if (
        parts.scheme not in ("https", "http")
        or not parts.netloc
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
        or "@" in parts.netloc
    ):
        raise ConfigError(
            f"PORTAL_BASE_URL muss eine Adresse wie https://service.musterstadt.de sein "
            f"(ohne Pfad), nicht {value!r}."
        )
    return f"{parts.scheme}://{parts.netloc.lower()}"


def check_production_secret(secret: str) -> None:
    """Refuse a missing, short or well-known secret key."""
    if not secret:
        raise ConfigError(
            "PORTAL_SECRET_KEY fehlt: in production ist ein geheimer Schlüssel Pflicht."
        )
    if secret.lower() in KNOWN_WEAK_SECRETS:
        raise ConfigError(
            "PORTAL_SECRET_KEY ist ein bekannter Beispielwert und darf nicht genutzt werden."
        )
    if len(secret.encode()) < MIN_SECRET_BYTES:
        raise ConfigError(
            f"PORTAL_SECRET_KEY ist zu kurz: mindestens {MIN_SECRET_BYTES} Bytes sind nötig."
        )
    lowered = secret.lower()
    if any(word in lowered for word in KNOWN_WEAK_WORDS) or estimated_bits(secret) < MIN_BITS:
        raise ConfigError(
            "PORTAL_SECRET_KEY ist zu leicht zu erraten (Wiederholungen, Beispielwörter). Bitte "
            "einen Zufallswert nehmen, z. B. `python -c 'import secrets; "
            "print(secrets.token_urlsafe(48))'`."
        )


def estimated_bits(secret: str) -> float:
    """A rough upper bound of the secret's entropy: its length times the Shannon entropy of its
    characters. 32 × "a" has 0 bits; ``secrets.token_urlsafe(48)`` about 350."""
    counts = Counter(secret)
    total = len(secret)
    per_character = -sum(n / total * math.log2(n / total) for n in counts.values())
    return per_character * total


def _instance_secret(instance: Path) -> str:
    """Return the development secret kept in the instance folder, creating it on first use.

    Development needs no key to invent, yet sessions survive a restart of ``make run``.
    """
    path = instance / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    # O_EXCL: two processes starting at once must not overwrite each other's key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(secret)
    return secret

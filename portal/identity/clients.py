"""Machine clients: the Fachverfahren and DMS of an office that use the office API.

A client belongs to one or more offices and holds scopes (``cases:read`` …). It authenticates
with OAuth 2.0 client credentials; its secret is shown once when it is made and stored only as
a SHA-256 hash (the secret is 32 random bytes, so a fast hash is enough). Bearer tokens are
short-lived and stored hashed too. Revoking a client ends its tokens at once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.db import UTCDateTime, created_at, intpk, utcnow
from portal.extensions import db

SCOPES = {
    "cases:read": "Vorgänge lesen, Dateien abrufen, Eingang bestätigen",
    "cases:write": "Status setzen, Rückfragen stellen, Bescheide erteilen",
    "messages:write": "Nachrichten in das Postfach senden",
}
TOKEN_LIFETIME = dt.timedelta(minutes=10)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiClient(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "api_client"

    id: Mapped[intpk]
    created_at: Mapped[created_at]
    client_id: Mapped[str] = mapped_column(String(48), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    scope: Mapped[str] = mapped_column(Text, default="")  # space-separated, as in OAuth
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_account.id", ondelete="SET NULL")
    )
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    offices: Mapped[list[ApiClientOffice]] = relationship(
        cascade="all, delete-orphan", order_by="ApiClientOffice.office_id"
    )

    @property
    def office_ids(self) -> frozenset[int]:
        return frozenset(item.office_id for item in self.offices)

    @property
    def scopes(self) -> set[str]:
        return set(self.scope.split())

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    # --- what Authlib's authorization server asks of a client ---------------------------------

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> None:
        return None

    def get_allowed_scope(self, scope: str | None) -> str:
        if not scope:
            return " ".join(sorted(self.scopes))
        return " ".join(sorted(set(scope.split()) & self.scopes))

    def check_redirect_uri(self, _redirect_uri: str) -> bool:
        return False

    def check_client_secret(self, client_secret: str) -> bool:
        return self.active and hmac.compare_digest(self.secret_hash, _digest(client_secret))

    def check_endpoint_auth_method(self, method: str, _endpoint: str) -> bool:
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, _response_type: str) -> bool:
        return False

    def check_grant_type(self, grant_type: str) -> bool:
        return self.active and grant_type == "client_credentials"


class ApiClientOffice(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "api_client_office"

    client_id: Mapped[int] = mapped_column(
        ForeignKey("api_client.id", ondelete="CASCADE"), primary_key=True
    )
    office_id: Mapped[int] = mapped_column(
        ForeignKey("catalog_office.id", ondelete="RESTRICT"), primary_key=True, index=True
    )


class ApiToken(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "api_token"

    id: Mapped[intpk]
    client_id: Mapped[int] = mapped_column(
        ForeignKey("api_client.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scope: Mapped[str] = mapped_column(Text, default="")
    issued_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    expires_in: Mapped[int] = mapped_column(Integer)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)

    client: Mapped[ApiClient] = relationship()

    # --- what Authlib's resource protector asks of a token ------------------------------------

    def check_client(self, client: ApiClient) -> bool:
        return client.id == self.client_id

    def get_scope(self) -> str:
        return self.scope

    def get_expires_in(self) -> int:
        return self.expires_in

    def is_expired(self) -> bool:
        return utcnow() >= self.issued_at + dt.timedelta(seconds=self.expires_in)

    def is_revoked(self) -> bool:
        return self.revoked or not self.client.active


@dataclass(frozen=True)
class NewClient:
    client: ApiClient
    secret: str  # shown once, never stored


class UnknownScopeError(ValueError):
    pass


def create_client(
    name: str,
    office_ids: list[int],
    scopes: list[str],
    created_by_id: int | None = None,
    *,
    known: tuple[str, str] | None = None,
) -> NewClient:
    """A new client with a random id and secret (``known``: the demo's fixed pair)."""
    unknown = [scope for scope in scopes if scope not in SCOPES]
    if unknown or not scopes:
        raise UnknownScopeError(", ".join(unknown))
    if not office_ids:
        raise ValueError("office")
    client_id, secret = known or (f"sp-{secrets.token_hex(12)}", secrets.token_urlsafe(32))
    client = ApiClient(
        client_id=client_id,
        secret_hash=_digest(secret),
        name=name.strip()[:200],
        scope=" ".join(sorted(set(scopes))),
        created_by_id=created_by_id,
        offices=[ApiClientOffice(office_id=office_id) for office_id in sorted(set(office_ids))],
    )
    db.session.add(client)
    db.session.flush()
    return NewClient(client, secret)


def revoke_client(client: ApiClient) -> None:
    if client.revoked_at is None:
        client.revoked_at = utcnow()


def client_by_client_id(client_id: str) -> ApiClient | None:
    found: ApiClient | None = db.session.scalar(
        select(ApiClient).where(ApiClient.client_id == client_id)
    )
    return found


def all_clients() -> list[ApiClient]:
    return list(db.session.scalars(select(ApiClient).order_by(ApiClient.created_at.desc())))


def save_token(client: ApiClient, token: dict[str, object]) -> None:
    """Keep a token Authlib issued (its hash only) and note that the client was here."""
    now = utcnow()
    db.session.add(
        ApiToken(
            client_id=client.id,
            token_hash=_digest(str(token["access_token"])),
            scope=str(token.get("scope") or ""),
            issued_at=now,
            expires_in=int(str(token["expires_in"])),
        )
    )
    client.last_used_at = now


def token_for(access_token: str) -> ApiToken | None:
    found: ApiToken | None = db.session.scalar(
        select(ApiToken).where(ApiToken.token_hash == _digest(access_token))
    )
    return found

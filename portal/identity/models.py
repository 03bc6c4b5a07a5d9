"""Who uses the portal: citizens (Person), businesses (Organisation) and staff of the Ämter.

Identity attributes come from the identity provider at every login; ``Person.sources`` records
for each attribute which provider and claim it came from and when, so the Nutzerkonto page can
show it. Login sessions live in the database (``LoginSession``) and are referenced by a random
token in their own cookie: logout and expiry revoke them on every app server at once.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import Enum, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.db import JSONType, created_at, intpk
from portal.extensions import db


class TrustLevel(enum.IntEnum):
    """eIDAS-style trust levels, ordered: a higher level satisfies every lower requirement."""

    BASISREGISTRIERUNG = 1
    SUBSTANZIELL = 3
    HOCH = 4

    @property
    def code(self) -> str:
        return self.name.lower()

    @classmethod
    def from_code(cls, code: str) -> TrustLevel:
        return cls[code.strip().upper()]


class AccountKind(enum.StrEnum):
    CITIZEN = "buerger"
    ORGANISATION = "organisation"
    STAFF = "verwaltung"


class OrgRole(enum.StrEnum):
    ADMINISTRATION = "administration"
    MEMBER = "mitglied"


class StaffRole(enum.StrEnum):
    SACHBEARBEITUNG = "sachbearbeitung"
    AMTSLEITUNG = "amtsleitung"
    REDAKTION = "redaktion"
    FORMULARREDAKTION = "formularredaktion"  # builds and publishes the office's online forms
    ADMINISTRATION = "administration"


PERSON_FIELDS = (
    "given_name",
    "family_name",
    "birth_name",
    "birth_date",
    "birth_place",
    "nationality",
    "street",
    "postal_code",
    "locality",
    "country",
    "email",
    "phone",
)


class Person(db.Model):  # type: ignore[name-defined,misc]
    """A citizen's Nutzerkonto: a pseudonymous subject at one provider plus the attributes."""

    __tablename__ = "person"
    __table_args__ = (UniqueConstraint("issuer", "subject"),)

    id: Mapped[intpk]
    created_at: Mapped[created_at]
    issuer: Mapped[str] = mapped_column(String(500))
    subject: Mapped[str] = mapped_column(String(255))  # bPK2-like pseudonym, never shown
    given_name: Mapped[str] = mapped_column(String(200), default="")
    family_name: Mapped[str] = mapped_column(String(200), default="")
    birth_name: Mapped[str] = mapped_column(String(200), default="")
    birth_date: Mapped[str] = mapped_column(String(10), default="")  # ISO date as delivered
    birth_place: Mapped[str] = mapped_column(String(200), default="")
    nationality: Mapped[str] = mapped_column(String(100), default="")
    street: Mapped[str] = mapped_column(String(200), default="")
    postal_code: Mapped[str] = mapped_column(String(20), default="")
    locality: Mapped[str] = mapped_column(String(200), default="")
    country: Mapped[str] = mapped_column(String(100), default="")
    email: Mapped[str] = mapped_column(String(320), default="")
    phone: Mapped[str] = mapped_column(String(50), default="")
    # attribute → {"claim": …, "issuer": …, "at": ISO time}
    sources: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    last_login_at: Mapped[dt.datetime | None]
    # The language the person last used the portal in: e-mails to them are written in it.
    locale: Mapped[str] = mapped_column(String(5), default="de", server_default="de")

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="person", cascade="all, delete-orphan"
    )

    @property
    def display_name(self) -> str:
        return " ".join(part for part in (self.given_name, self.family_name) if part) or "—"


class Organisation(db.Model):  # type: ignore[name-defined,misc]
    """A business as its Organisationskonto delivers it; it owns what is done in its name."""

    __tablename__ = "organisation"
    __table_args__ = (UniqueConstraint("issuer", "external_id"),)

    id: Mapped[intpk]
    created_at: Mapped[created_at]
    issuer: Mapped[str] = mapped_column(String(500))
    external_id: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(300), default="")
    street: Mapped[str] = mapped_column(String(200), default="")
    postal_code: Mapped[str] = mapped_column(String(20), default="")
    locality: Mapped[str] = mapped_column(String(200), default="")
    country: Mapped[str] = mapped_column(String(100), default="")

    members: Mapped[list[Membership]] = relationship(
        back_populates="organisation", cascade="all, delete-orphan"
    )


class Membership(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "membership"
    __table_args__ = (UniqueConstraint("organisation_id", "person_id"),)

    id: Mapped[intpk]
    created_at: Mapped[created_at]
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    role: Mapped[OrgRole] = mapped_column(
        Enum(OrgRole, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])
    )

    organisation: Mapped[Organisation] = relationship(back_populates="members")
    person: Mapped[Person] = relationship(back_populates="memberships")


class StaffAccount(db.Model):  # type: ignore[name-defined,misc]
    """A member of staff of one or more Ämter; never the same record as a citizen."""

    __tablename__ = "staff_account"
    __table_args__ = (UniqueConstraint("issuer", "subject"),)

    id: Mapped[intpk]
    created_at: Mapped[created_at]
    # Empty (NULL) until the first login binds the account; NULLs never collide in the
    # unique constraint, so any number of accounts may wait for their first login.
    issuer: Mapped[str | None] = mapped_column(String(500))
    subject: Mapped[str | None] = mapped_column(String(255))
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    active: Mapped[bool] = mapped_column(default=True)
    last_login_at: Mapped[dt.datetime | None]

    roles: Mapped[list[StaffAssignment]] = relationship(
        back_populates="staff", cascade="all, delete-orphan"
    )

    def has_role(self, role: StaffRole, office_id: int | None = None) -> bool:
        return any(
            item.role == role and (office_id is None or item.office_id in (None, office_id))
            for item in self.roles
        )


class StaffAssignment(db.Model):  # type: ignore[name-defined,misc]
    """One role of a staff account, for one office (``None``: every office, administrators)."""

    __tablename__ = "staff_assignment"
    __table_args__ = (UniqueConstraint("staff_id", "role", "office_id"),)

    id: Mapped[intpk]
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_account.id", ondelete="CASCADE"))
    role: Mapped[StaffRole] = mapped_column(
        Enum(
            StaffRole, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e]
        )
    )
    office_id: Mapped[int | None] = mapped_column(
        ForeignKey("catalog_office.id", ondelete="CASCADE")
    )

    staff: Mapped[StaffAccount] = relationship(back_populates="roles")


class LoginSession(db.Model):  # type: ignore[name-defined,misc]
    """One login. The cookie holds a random token; the database keeps only its hash."""

    __tablename__ = "login_session"

    id: Mapped[intpk]
    created_at: Mapped[created_at]
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[AccountKind] = mapped_column(
        Enum(
            AccountKind,
            native_enum=False,
            length=20,
            values_callable=lambda e: [m.value for m in e],
        )
    )
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE"), index=True
    )
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE")
    )
    # The organisation the provider asserted at this (Organisationskonto) login: the only one
    # the login may act for. A citizen login asserts none, whatever memberships are stored.
    asserted_organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE")
    )
    staff_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_account.id", ondelete="CASCADE"), index=True
    )
    trust_level: Mapped[int] = mapped_column(Integer, default=TrustLevel.BASISREGISTRIERUNG)
    issuer: Mapped[str] = mapped_column(String(500), default="")
    id_token: Mapped[str] = mapped_column(String(8000), default="")  # for RP-initiated logout
    last_seen_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime]  # absolute limit
    idle_seconds: Mapped[int] = mapped_column(Integer)
    ended_at: Mapped[dt.datetime | None]

    person: Mapped[Person | None] = relationship()
    organisation: Mapped[Organisation | None] = relationship(foreign_keys=[organisation_id])
    staff: Mapped[StaffAccount | None] = relationship()

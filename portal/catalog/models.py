"""The Leistungskatalog: taxonomy, services (Leistungen), offices and who is responsible for what.

Imported content and local changes live apart: importers write Leistung, Office and imported
Zustaendigkeit rows; the municipality's own changes (contact, opening hours, online link, local
responsibilities) live in LocalOverride and in Zustaendigkeit rows with ``origin="local"``, which
no import touches.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import (
    Boolean,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.db import JSONType, created_at, intpk, utcnow
from portal.extensions import db

ADDRESSEES = ("buerger", "unternehmen", "verwaltung")
TRUST_LEVELS = ("basisregistrierung", "substanziell", "hoch")


class Themenfeld(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "catalog_themenfeld"

    id: Mapped[intpk]
    key: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(200), unique=True)
    position: Mapped[int] = mapped_column(Integer, default=0)

    lebenslagen: Mapped[list[Lebenslage]] = relationship(
        back_populates="themenfeld", order_by="Lebenslage.name"
    )


class Lebenslage(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "catalog_lebenslage"

    id: Mapped[intpk]
    key: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    slug: Mapped[str] = mapped_column(String(300), unique=True)
    themenfeld_id: Mapped[int] = mapped_column(ForeignKey("catalog_themenfeld.id"), index=True)

    themenfeld: Mapped[Themenfeld] = relationship(back_populates="lebenslagen")
    ozg_leistungen: Mapped[list[OzgLeistung]] = relationship(
        back_populates="lebenslage", order_by="OzgLeistung.name"
    )


class OzgLeistung(db.Model):  # type: ignore[name-defined,misc]
    """A service bundle of the OZG catalogue (OZG-ID), grouping LeiKa keys."""

    __tablename__ = "catalog_ozg_leistung"

    id: Mapped[intpk]
    ozg_id: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    lebenslage_id: Mapped[int | None] = mapped_column(
        ForeignKey("catalog_lebenslage.id"), index=True
    )

    lebenslage: Mapped[Lebenslage | None] = relationship(back_populates="ozg_leistungen")


class LeikaKey(db.Model):  # type: ignore[name-defined,misc]
    """Which OZG-Leistung a Leistungsschlüssel belongs to (from the OZG/LeiKa catalogue)."""

    __tablename__ = "catalog_leika_key"

    key: Mapped[str] = mapped_column(String(14), primary_key=True)
    name: Mapped[str] = mapped_column(String(500), default="")
    ozg_leistung_id: Mapped[int | None] = mapped_column(
        ForeignKey("catalog_ozg_leistung.id"), index=True
    )


class Leistung(db.Model):  # type: ignore[name-defined,misc]
    """One service as described by the Landesredaktion (or another source)."""

    __tablename__ = "catalog_leistung"
    __table_args__ = (UniqueConstraint("source", "source_id"),)

    id: Mapped[intpk]
    source: Mapped[str] = mapped_column(String(50))
    source_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(500))
    slug: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    # Text modules: module name (see catalog.modules) → language → sanitised HTML.
    texts: Mapped[dict[str, dict[str, str]]] = mapped_column(JSONType, default=dict)
    # Structured facts: lists of {amount_cents, currency, text} / {duration, unit, text}.
    fees: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    deadlines: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    processing_times: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    # Lists of {name, url, description}.
    forms: Mapped[list[dict[str, str]]] = mapped_column(JSONType, default=list)
    links: Mapped[list[dict[str, str]]] = mapped_column(JSONType, default=list)
    addressees: Mapped[list[str]] = mapped_column(JSONType, default=list)
    keywords: Mapped[str] = mapped_column(Text, default="")
    trust_level: Mapped[str | None] = mapped_column(String(30))
    online_url: Mapped[str | None] = mapped_column(String(1000))
    reifegrad: Mapped[int | None]
    published: Mapped[bool] = mapped_column(Boolean, default=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    source_changed_at: Mapped[dt.datetime | None]
    created_at: Mapped[created_at]
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    keys: Mapped[list[LeistungKey]] = relationship(
        back_populates="leistung", cascade="all, delete-orphan", order_by="LeistungKey.key"
    )
    zustaendigkeiten: Mapped[list[Zustaendigkeit]] = relationship(
        back_populates="leistung", cascade="all, delete-orphan"
    )


class LeistungKey(db.Model):  # type: ignore[name-defined,misc]
    """A Leistungsschlüssel (14 digits, ``99…``) of a Leistung; a Leistung may have several."""

    __tablename__ = "catalog_leistung_key"
    __table_args__ = (UniqueConstraint("leistung_id", "key"),)

    id: Mapped[intpk]
    leistung_id: Mapped[int] = mapped_column(ForeignKey("catalog_leistung.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(14), index=True)

    leistung: Mapped[Leistung] = relationship(back_populates="keys")


class AuthorityKind(enum.StrEnum):
    GEMEINDE = "gemeinde"
    KREIS = "kreis"
    KREISFREIE_STADT = "kreisfreie_stadt"
    LAND = "land"


class Authority(db.Model):  # type: ignore[name-defined,misc]
    """A Gebietskörperschaft: a Gemeinde, a Kreis, a kreisfreie Stadt or a Land.

    Every office belongs to one. A region is a tree (Gemeinden under their Kreis); the ARS
    (Amtlicher Regionalschlüssel, 12 digits for a Gemeinde, 5 for a Kreis, 2 for a Land) is
    hierarchical, so "the Kreis is responsible for this Gemeinde" is a prefix of its ARS.
    """

    __tablename__ = "catalog_authority"

    id: Mapped[intpk]
    created_at: Mapped[created_at]
    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    ars: Mapped[str | None] = mapped_column(String(12), unique=True)
    kind: Mapped[AuthorityKind] = mapped_column(
        Enum(
            AuthorityKind,
            native_enum=False,
            length=20,
            values_callable=lambda e: [m.value for m in e],
        ),
        default=AuthorityKind.GEMEINDE,
    )
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("catalog_authority.id", ondelete="RESTRICT"), index=True
    )
    # Where its people live: the postal codes of a Gemeinde or kreisfreie Stadt.
    postal_codes: Mapped[list[str]] = mapped_column(JSONType, default=list)
    coat_of_arms: Mapped[str] = mapped_column(String(300), default="")  # a static file's path
    imprint: Mapped[str] = mapped_column(Text, default="")  # Impressum: who is responsible
    privacy_contact: Mapped[str] = mapped_column(Text, default="")  # Datenschutzbeauftragte

    @property
    def is_place(self) -> bool:
        """Somewhere people live (not a Kreis or Land, which consist of places)."""
        return self.kind in (AuthorityKind.GEMEINDE, AuthorityKind.KREISFREIE_STADT)


# An office imported or made without an authority belongs to the first one: in a
# single-municipality installation, the municipality itself (the migration makes it).
FIRST_AUTHORITY = select(func.min(Authority.id)).scalar_subquery()


class Office(db.Model):  # type: ignore[name-defined,misc]
    """An Organisationseinheit: the office a citizen goes to, writes to or calls."""

    __tablename__ = "catalog_office"
    __table_args__ = (UniqueConstraint("source", "source_id"),)

    id: Mapped[intpk]
    source: Mapped[str] = mapped_column(String(50))
    source_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(500))
    slug: Mapped[str] = mapped_column(String(200))
    authority_id: Mapped[int] = mapped_column(
        ForeignKey("catalog_authority.id", ondelete="RESTRICT"),
        index=True,
        default=FIRST_AUTHORITY,
    )
    organization: Mapped[str] = mapped_column(String(500), default="")
    street: Mapped[str] = mapped_column(String(300), default="")
    postal_code: Mapped[str] = mapped_column(String(10), default="")
    city: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str] = mapped_column(String(100), default="")
    fax: Mapped[str] = mapped_column(String(100), default="")
    email: Mapped[str] = mapped_column(String(320), default="")
    url: Mapped[str] = mapped_column(String(1000), default="")
    # List of {"days": "Mo–Fr", "hours": "8:00–12:00"} or free text lines.
    opening_hours: Mapped[list[dict[str, str]]] = mapped_column(JSONType, default=list)
    latitude: Mapped[str] = mapped_column(String(30), default="")
    longitude: Mapped[str] = mapped_column(String(30), default="")
    published: Mapped[bool] = mapped_column(Boolean, default=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[created_at]
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    zustaendigkeiten: Mapped[list[Zustaendigkeit]] = relationship(
        back_populates="office", cascade="all, delete-orphan"
    )
    authority: Mapped[Authority] = relationship(lazy="joined")


class Zustaendigkeit(db.Model):  # type: ignore[name-defined,misc]
    """Office X handles Leistung Y for area Z: an ARS or its prefix (a Kreis's 5 digits cover
    its Gemeinden); empty: the area of the office's own authority."""

    __tablename__ = "catalog_zustaendigkeit"
    __table_args__ = (UniqueConstraint("leistung_id", "office_id", "area"),)

    id: Mapped[intpk]
    leistung_id: Mapped[int] = mapped_column(
        ForeignKey("catalog_leistung.id", ondelete="CASCADE"), index=True
    )
    office_id: Mapped[int] = mapped_column(
        ForeignKey("catalog_office.id", ondelete="CASCADE"), index=True
    )
    area: Mapped[str] = mapped_column(String(12), default="")
    # "import": written and removed by importers; "local": the municipality's own, never touched.
    origin: Mapped[str] = mapped_column(String(10), default="import")

    leistung: Mapped[Leistung] = relationship(back_populates="zustaendigkeiten")
    office: Mapped[Office] = relationship(back_populates="zustaendigkeiten")


class LocalOverride(db.Model):  # type: ignore[name-defined,misc]
    """The municipality's own value for one field of an imported record.

    Keyed by the record's source and source id, not by its row id, so an override outlives a
    withdrawal and re-appearance of the record in the source.
    """

    __tablename__ = "catalog_local_override"
    __table_args__ = (
        UniqueConstraint("kind", "source", "source_id", "field"),
        Index("ix_catalog_local_override_record", "kind", "source", "source_id"),
    )

    id: Mapped[intpk]
    kind: Mapped[str] = mapped_column(String(20))  # "leistung" | "office"
    source: Mapped[str] = mapped_column(String(50))
    source_id: Mapped[str] = mapped_column(String(200))
    field: Mapped[str] = mapped_column(String(50))
    value: Mapped[Any] = mapped_column(JSONType)
    created_at: Mapped[created_at]
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Journey(db.Model):  # type: ignore[name-defined,misc]
    """A Lebenslage that guides ("Umzug", "Geburt"): the services a person in that situation
    needs, in order, across authorities. Kept by the Redaktion; the OZG Lebenslagen above are
    the taxonomy, this is advice."""

    __tablename__ = "catalog_journey"

    id: Mapped[intpk]
    created_at: Mapped[created_at]
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    intro: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)

    steps: Mapped[list[JourneyStep]] = relationship(
        cascade="all, delete-orphan", order_by="JourneyStep.position"
    )


class JourneyStep(db.Model):  # type: ignore[name-defined,misc]
    """One service of a journey, with a note ("innerhalb von zwei Wochen")."""

    __tablename__ = "catalog_journey_step"
    __table_args__ = (UniqueConstraint("journey_id", "leistung_id"),)

    id: Mapped[intpk]
    journey_id: Mapped[int] = mapped_column(
        ForeignKey("catalog_journey.id", ondelete="CASCADE"), index=True
    )
    leistung_id: Mapped[int] = mapped_column(
        ForeignKey("catalog_leistung.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    note: Mapped[str] = mapped_column(String(300), default="")

    leistung: Mapped[Leistung] = relationship(lazy="joined")

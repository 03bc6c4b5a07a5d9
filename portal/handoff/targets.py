"""Where packages go: a folder a DMS imports from, a signed HTTP webhook, or an e-mail box.

Each makes a repeat harmless or recognisable. The folder target writes into a hidden temporary
folder and renames it to the idempotency key in one step; a key that exists was delivered. The
webhook sends the key as ``Idempotency-Key`` and signs ``timestamp.body`` with HMAC-SHA256
(``X-Serviceportal-Signature: t=…,v1=…``), so the receiver can check origin and recognise repeats.
The e-mail target sends one message per package with the key as its ``Message-ID``, which mail
systems and DMS mail importers use to drop a repeat.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import shutil
import smtplib
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Protocol

import requests
from flask import current_app

from portal.config import ConfigError, Settings
from portal.core.mail import get_mailer
from portal.core.office_settings import office_pairs
from portal.handoff.package import Package

SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


class DeliveryError(RuntimeError):
    """The target did not take the package; the message says why (for staff and logs)."""


class PermanentDeliveryError(DeliveryError):
    """The target refused in a way waiting will not change (a wrong key, a refused client):
    given up at once, with the alert, instead of being retried."""


class Target(Protocol):
    @property
    def name(self) -> str: ...

    def deliver(self, package: Package) -> None: ...


def _safe(name: str) -> str:
    return SAFE_NAME.sub("_", name).strip("._") or "datei"


@dataclass(frozen=True)
class FolderTarget:
    name: str
    root: Path

    def deliver(self, package: Package) -> None:
        final = self.root / package.key
        if final.exists():
            return  # delivered before: nothing to do
        temporary = self.root / f".{package.key}.{secrets.token_hex(4)}"
        try:
            (temporary / "anlagen").mkdir(parents=True)
            (temporary / "metadata.json").write_text(
                json.dumps(package.metadata, ensure_ascii=False, indent=2), "utf-8"
            )
            (temporary / "data.json").write_bytes(package.data)
            for item in package.attachments:
                name = f"{item.attachment_id}-{_safe(item.filename)}"
                (temporary / "anlagen" / name).write_bytes(item.content)
            try:
                temporary.rename(final)
            except OSError:
                if not final.exists():
                    raise
        except OSError as error:
            raise DeliveryError(f"Ordner {self.root}: {error}") from None
        finally:
            if temporary.exists():
                shutil.rmtree(temporary, ignore_errors=True)


def sign(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


@dataclass(frozen=True)
class WebhookTarget:
    name: str
    url: str
    secret: str
    timeout: float = 30.0

    def deliver(self, package: Package) -> None:
        self._post(
            {
                "metadata": package.metadata,
                "data": base64.b64encode(package.data).decode(),
                "attachments": [
                    {
                        "attachmentId": item.attachment_id,
                        "filename": item.filename,
                        "mimeType": item.mime_type,
                        "content": base64.b64encode(item.content).decode(),
                    }
                    for item in package.attachments
                ],
            },
            package.key,
            "antrag",
        )

    def notify(self, event: dict[str, Any], key: str) -> None:
        """An event about a delivered case (``event["event"]``: nachricht, unterlagen,
        abgerufen), signed and keyed like a package."""
        self._post(event, key, str(event["event"]))

    def _post(self, payload: dict[str, Any], key: str, kind: str) -> None:
        body = json.dumps(payload).encode()
        headers = {
            "Content-Type": "application/json",
            "Idempotency-Key": key,
            "X-Serviceportal-Event": kind,
            "X-Serviceportal-Signature": sign(self.secret, int(time.time()), body),
        }
        try:
            response = requests.post(self.url, data=body, headers=headers, timeout=self.timeout)
        except requests.RequestException as error:
            raise DeliveryError(f"{self.url}: nicht erreichbar ({type(error).__name__})") from None
        if not 200 <= response.status_code < 300:
            raise DeliveryError(f"{self.url}: Antwort {response.status_code}")


@dataclass(frozen=True)
class EmailTarget:
    """For offices whose DMS imports from a mailbox. The package holds personal data: use it only
    on a transport the municipality trusts (its own mail server, an S/MIME or TLS gateway)."""

    name: str
    address: str

    def deliver(self, package: Package) -> None:
        message = EmailMessage()
        message["From"] = current_app.config["PORTAL"].mail_from
        message["To"] = self.address
        reference = package.metadata["additionalReferenceInfo"]["senderReference"]
        message["Subject"] = f"Antrag {reference}"
        message["Message-ID"] = f"<{package.key}@serviceportal.invalid>"
        message["X-Serviceportal-Idempotency-Key"] = package.key
        message.set_content(
            "Übermittlung aus dem Serviceportal. Strukturierte Daten in data.json, "
            "Metadaten mit Prüfsummen in metadata.json, dazu die Anlagen.\n"
        )
        message.add_attachment(
            json.dumps(package.metadata, ensure_ascii=False, indent=2).encode(),
            maintype="application", subtype="json", filename="metadata.json",
        )  # fmt: skip
        message.add_attachment(
            package.data, maintype="application", subtype="json", filename="data.json"
        )
        for item in package.attachments:
            maintype, _, subtype = item.mime_type.partition("/")
            message.add_attachment(
                item.content,
                maintype=maintype or "application",
                subtype=subtype or "octet-stream",
                filename=f"{item.attachment_id}-{_safe(item.filename)}",
            )
        try:
            get_mailer().send(message)
        except (smtplib.SMTPException, OSError) as error:
            raise DeliveryError(f"E-Mail an {self.address}: {error}") from None


TargetFactory = Callable[[str, str, Settings], Target]  # name, where, the portal's settings
TARGET_KINDS: dict[str, TargetFactory] = {}


def target_kind(kind: str) -> Callable[[TargetFactory], TargetFactory]:
    """Register a kind of target under the name used in ``PORTAL_HANDOFF_TARGETS``."""

    def decorator(factory: TargetFactory) -> TargetFactory:
        TARGET_KINDS[kind] = factory
        return factory

    return decorator


@target_kind("folder")
def _folder(name: str, where: str, _settings: Settings) -> Target:
    return FolderTarget(name, Path(where))


@target_kind("webhook")
def _webhook(name: str, where: str, settings: Settings) -> Target:
    if not settings.handoff_webhook_secret:
        raise ConfigError("PORTAL_HANDOFF_WEBHOOK_SECRET fehlt für Webhook-Ziele.")
    if not where.startswith(("https://", "http://")):
        raise ConfigError(f"PORTAL_HANDOFF_TARGETS: „{where}“ ist keine http(s)-Adresse.")
    return WebhookTarget(name, where, settings.handoff_webhook_secret)


@target_kind("email")
def _email(name: str, where: str, _settings: Settings) -> Target:
    if "@" not in where:
        raise ConfigError(f"PORTAL_HANDOFF_TARGETS: „{where}“ ist keine E-Mail-Adresse.")
    return EmailTarget(name, where)


def targets_from(spec: str, default_folder: Path, settings: Settings) -> dict[str, Target]:
    """``PORTAL_HANDOFF_TARGETS``: ``office=kind:where`` pairs separated by ``;`` with ``*`` for
    every other office, e.g. ``*=folder:/srv/dms/eingang;ordnungsamt=webhook:https://fv/in``.

    Keys are office references as written (see ``catalog.offices``); they are resolved to
    offices by ``handoff.services.office_targets``. Checked without the database at start-up:
    a kind not in ``TARGET_KINDS`` or a malformed part stops the start, naming the setting.
    """
    targets: dict[str, Target] = {}
    for pair in office_pairs(spec, "PORTAL_HANDOFF_TARGETS", TARGET_KINDS):
        factory = TARGET_KINDS[pair.kind]
        targets[pair.office] = factory(f"{pair.office}:{pair.kind}", pair.where, settings)
    targets.setdefault("*", FolderTarget("*:folder", default_folder))
    return targets


def test_target_from(spec: str, default_folder: Path, settings: Settings) -> Target:
    """``PORTAL_HANDOFF_TEST_TARGET``: one ``kind:where`` for every Testantrag of the
    Baukasten (empty: the folder ``instance/handoff-test``). Checked at start-up."""
    if not spec.strip():
        return FolderTarget("test:folder", default_folder)
    kind, _, where = spec.strip().partition(":")
    if kind not in TARGET_KINDS or not where:
        raise ConfigError(
            f"PORTAL_HANDOFF_TEST_TARGET: „{spec}“ ist nicht „Art:Ziel“ mit einer Art aus "
            f"{', '.join(sorted(TARGET_KINDS))}."
        )
    return TARGET_KINDS[kind](f"test:{kind}", where, settings)

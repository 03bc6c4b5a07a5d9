"""The FIT-Connect target: ``office=fitconnect:<destination id>`` in ``PORTAL_HANDOFF_TARGETS``.

Follows the public Submission API: a token by OAuth 2.0 client credentials; the destination and
its encryption key; a submission announcing every attachment; each attachment, then metadata
and data, as JWE compact (RSA-OAEP-256 with A256GCM) to the destination's key; then the event
log, whose Security Event Tokens are checked against the Zustelldienst's JWKS, must show the
submission as submitted. JOSE is joserfc's, never our own.

FIT-Connect knows no idempotency keys, so the submission's ids are kept
(``FitConnectSubmission``, committed as soon as the submission exists): a retry after a crash
or a failure goes on with the same submission and never sends a second one. Attachment ids are
UUIDs derived from the package's idempotency key, the same on every attempt. A refusal that will
not change by waiting (4xx) gives up at once with an alert; everything else is retried.
"""

from __future__ import annotations

import copy
import json
import uuid
from dataclasses import dataclass
from typing import Any

import requests
from authlib.integrations.requests_client import OAuth2Session
from flask import current_app
from joserfc import jwe, jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, RSAKey
from sqlalchemy import select

from portal.config import ConfigError, Settings
from portal.core.db import utcnow
from portal.extensions import db
from portal.handoff.models import FitConnectSubmission
from portal.handoff.package import Package
from portal.handoff.targets import DeliveryError, PermanentDeliveryError, Target, target_kind

ENCRYPTION = ["RSA-OAEP-256", "A256GCM"]
SIGNATURES = ["PS512", "RS512", "PS256", "RS256"]
EVENTS = "https://schema.fitko.de/fit-connect/events/"
SUBMITTED = EVENTS + "submit-submission"
NAMESPACE = uuid.UUID("6f1f7c0e-3b0a-4c4b-9a55-5f2d1c0b9e11")  # ours: attachment ids per key
TIMEOUT = 30.0


def _checked(response: requests.Response, what: str) -> requests.Response:
    if response.status_code < 300:
        return response
    reason = f"FIT-Connect {what}: Antwort {response.status_code} {response.text[:200]}"
    if response.status_code in (408, 425, 429) or response.status_code >= 500:
        raise DeliveryError(reason)
    raise PermanentDeliveryError(reason)


class SubmissionApi:
    """The calls of the Submission API this target needs, with a client-credentials token."""

    def __init__(self, settings: Settings) -> None:
        self.base = settings.fitconnect_submission_url.rstrip("/")
        self.session = OAuth2Session(
            settings.fitconnect_client_id,
            settings.fitconnect_client_secret,
            scope=settings.fitconnect_scope or None,
            token_endpoint=settings.fitconnect_token_url,
        )
        try:
            self.session.fetch_token(grant_type="client_credentials", timeout=TIMEOUT)
        except requests.RequestException as error:
            raise DeliveryError(f"FIT-Connect Token: {type(error).__name__}") from None
        except Exception as error:  # Authlib raises OAuthError for a refused client
            raise PermanentDeliveryError(f"FIT-Connect Token abgelehnt: {error}") from None

    def _call(self, method: str, path: str, what: str, **kwargs: Any) -> requests.Response:
        try:
            response = self.session.request(method, f"{self.base}{path}", timeout=TIMEOUT, **kwargs)
        except requests.RequestException as error:
            raise DeliveryError(f"FIT-Connect {what}: {type(error).__name__}") from None
        return _checked(response, what)

    def encryption_key(self, destination_id: str) -> RSAKey:
        destination = self._call("GET", f"/v1/destinations/{destination_id}", "Zustellpunkt")
        kid = destination.json().get("encryptionKid", "")
        found = self._call(
            "GET", f"/v1/destinations/{destination_id}/keys/{kid}", "Schlüssel"
        ).json()
        operations = set(found.get("key_ops") or []) | {found.get("use", "")}
        if found.get("alg") != "RSA-OAEP-256" or not operations & {"wrapKey", "enc"}:
            raise PermanentDeliveryError(
                f"FIT-Connect: Schlüssel {kid} ist kein RSA-OAEP-256-Verschlüsselungsschlüssel."
            )
        try:  # key_ops checked above; joserfc names RSA-OAEP's use "encrypt", FIT-Connect "wrapKey"
            return RSAKey.import_key({k: v for k, v in found.items() if k != "key_ops"})
        except (JoseError, ValueError) as error:
            raise PermanentDeliveryError(f"FIT-Connect: Schlüssel {kid}: {error}") from None

    def create(self, destination_id: str, attachments: list[str], service: dict[str, str]) -> Any:
        body = {
            "destinationId": destination_id,
            "announcedAttachments": attachments,
            "serviceType": service,
        }
        return self._call("POST", "/v1/submissions", "Einreichung anlegen", json=body).json()

    def upload(self, submission_id: str, attachment_id: str, token: str) -> None:
        path = f"/v1/submissions/{submission_id}/attachments/{attachment_id}"
        headers = {"Content-Type": "application/jose"}
        try:
            self._call("PUT", path, "Anlage hochladen", data=token, headers=headers)
        except PermanentDeliveryError as error:
            if " 409 " not in str(error):  # uploaded on an earlier attempt: fine
                raise

    def submit(self, submission_id: str, metadata: str, data: str) -> None:
        body = {"encryptedMetadata": metadata, "encryptedData": data}
        self._call("PUT", f"/v1/submissions/{submission_id}", "Einreichen", json=body)

    def submitted(self, case_id: str, submission_id: str) -> bool:
        """Whether the event log holds a valid submit-submission event for the submission."""
        keys = KeySet.import_key_set(
            self._call("GET", "/.well-known/jwks.json", "Schlüssel des Zustelldienstes").json()
        )
        log = self._call("GET", f"/v1/cases/{case_id}/events", "Ereignisprotokoll").json()
        for token in log.get("eventLog", []):
            try:
                claims = jwt.decode(token, keys, algorithms=SIGNATURES).claims
            except (JoseError, ValueError):
                raise DeliveryError("FIT-Connect: Ereignis mit ungültiger Signatur") from None
            if claims.get("sub") == f"submission:{submission_id}" and SUBMITTED in claims.get(
                "events", {}
            ):
                return True
        return False


def _encrypted(key: RSAKey, content: bytes, media_type: str) -> str:
    header = {"alg": "RSA-OAEP-256", "enc": "A256GCM", "kid": key.kid, "cty": media_type}
    token: str = jwe.encrypt_compact(header, content, key, algorithms=ENCRYPTION)
    return token


def fitconnect_ids(package: Package) -> dict[str, str]:
    """Our attachment ids ("receipt", file ids) → FIT-Connect's UUIDs, the same every attempt."""
    return {
        item.attachment_id: str(uuid.uuid5(NAMESPACE, f"{package.key}/{item.attachment_id}"))
        for item in package.attachments
    }


def fitconnect_metadata(package: Package) -> dict[str, Any]:
    ids = fitconnect_ids(package)
    metadata = copy.deepcopy(package.metadata)
    metadata.pop("idempotencyKey", None)
    for item in metadata["contentStructure"]["attachments"]:
        item["attachmentId"] = ids[item["attachmentId"]]
    return metadata


@dataclass(frozen=True)
class FitConnectTarget:
    name: str
    destination_id: str

    def deliver(self, package: Package) -> None:
        api = SubmissionApi(current_app.config["PORTAL"])
        progress = db.session.scalar(
            select(FitConnectSubmission).where(FitConnectSubmission.idempotency_key == package.key)
        )
        if progress is None or progress.submitted_at is None:
            progress = self._send(api, package, progress)
        if not api.submitted(progress.case_id, progress.submission_id):
            raise DeliveryError(
                f"FIT-Connect: Einreichung {progress.submission_id} fehlt im Ereignisprotokoll."
            )

    def _send(
        self, api: SubmissionApi, package: Package, progress: FitConnectSubmission | None
    ) -> FitConnectSubmission:
        key = api.encryption_key(self.destination_id)
        ids = fitconnect_ids(package)
        if progress is None:
            service = package.metadata.get("publicServiceType", {})
            if not service.get("identifier"):
                # FIT-Connect routes by the Leistung: an empty identifier is never sent.
                raise PermanentDeliveryError(
                    f"FIT-Connect: Das Formular „{service.get('name', '')}“ hat keinen "
                    "Leistungsschlüssel; ohne ihn nimmt FIT-Connect keine Einreichung an. Bitte "
                    "den Leistungsschlüssel im Formular eintragen, veröffentlichen und die "
                    "Übergabe erneut anstoßen."
                )
            created = api.create(
                self.destination_id,
                list(ids.values()),
                {"name": service.get("name", ""), "identifier": service.get("identifier", "")},
            )
            progress = FitConnectSubmission(
                idempotency_key=package.key,
                destination_id=self.destination_id,
                submission_id=str(created["submissionId"]),
                case_id=str(created["caseId"]),
            )
            db.session.add(progress)
            db.session.commit()  # kept before anything else goes: a retry goes on with it
        for item in package.attachments:
            api.upload(
                progress.submission_id,
                ids[item.attachment_id],
                _encrypted(key, item.content, item.mime_type),
            )
        metadata = json.dumps(fitconnect_metadata(package), ensure_ascii=False).encode()
        api.submit(
            progress.submission_id,
            _encrypted(key, metadata, "application/json"),
            _encrypted(key, package.data, "application/json"),
        )
        progress.submitted_at = utcnow()
        db.session.commit()
        return progress


@target_kind("fitconnect")
def _fitconnect(name: str, where: str, settings: Settings) -> Target:
    try:
        uuid.UUID(where)
    except ValueError:
        raise ConfigError(
            f"PORTAL_HANDOFF_TARGETS: „{where}“ ist keine FIT-Connect-Zustellpunkt-ID (UUID)."
        ) from None
    missing = [
        setting
        for setting, value in (
            ("PORTAL_FITCONNECT_CLIENT_ID", settings.fitconnect_client_id),
            ("PORTAL_FITCONNECT_CLIENT_SECRET", settings.fitconnect_client_secret),
            ("PORTAL_FITCONNECT_SUBMISSION_URL", settings.fitconnect_submission_url),
            ("PORTAL_FITCONNECT_TOKEN_URL", settings.fitconnect_token_url),
        )
        if not value
    ]
    if missing:
        raise ConfigError(f"{', '.join(missing)} fehlt für FIT-Connect-Ziele.")
    return FitConnectTarget(name, where)

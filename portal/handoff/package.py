"""The package a DMS or Fachverfahren receives, shaped like a FIT-Connect submission.

``metadata`` follows FIT-Connect's metadata: a ``contentStructure`` that lists the structured
data and every attachment with its SHA-512 hash, the public service (Leistungsschlüssel), the
sender's reference and the payment. ``data`` is the answers as JSON; attachments are the PDF
receipt and the uploaded files. Nothing is encrypted end to end here (JWE to the destination's
key is FIT-Connect's transport; these targets are inside the municipality).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from portal.applications import receipt, services
from portal.applications.models import Application
from portal.core.storage import file_store


@dataclass(frozen=True)
class Attachment:
    attachment_id: str
    filename: str
    mime_type: str
    purpose: str  # "report" (the receipt) or "attachment"
    content: bytes


@dataclass(frozen=True)
class Package:
    key: str
    metadata: dict[str, Any]
    data: bytes
    attachments: tuple[Attachment, ...]


def _hash(content: bytes) -> dict[str, str]:
    return {"type": "sha512", "content": hashlib.sha512(content).hexdigest()}


def build(application: Application, idempotency_key: str) -> Package:
    definition = services.definition_for(application)
    answers = {
        step.key: {spec.key: value for spec, value in rows}
        for step, rows in services.visible_answers(application, definition)
    }
    data = json.dumps(
        {
            "form": {"key": definition.key, "version": application.form_version},
            "reference": application.reference,
            "submittedAt": application.submitted_at.isoformat()
            if application.submitted_at
            else None,
            "trustLevel": application.trust_level,
            "onBehalfOfOrganisation": application.organisation_id is not None,
            "answers": answers,
            "fee": {"amountCents": application.fee_cents, "currency": "EUR"},
        },
        ensure_ascii=False,
        sort_keys=True,
        default=str,
    ).encode()
    attachments = [
        Attachment(
            "receipt",
            f"quittung-{application.reference}.pdf",
            "application/pdf",
            "report",
            receipt.render(application, definition),
        )
    ]
    store = file_store()
    for item in application.files:
        attachments.append(
            Attachment(
                item.public_id,
                item.filename,
                item.content_type,
                "attachment",
                store.get(item.storage_key),
            )
        )
    metadata = {
        "$schema": "https://schema.fitko.de/fit-connect/metadata/1.2.0/metadata.schema.json",
        "contentStructure": {
            "data": {
                "submissionSchema": {
                    "schemaUri": (
                        f"urn:serviceportal:form:{definition.key}:{application.form_version}"
                    ),
                    "mimeType": "application/json",
                },
                "hash": _hash(data),
            },
            "attachments": [
                {
                    "attachmentId": item.attachment_id,
                    "filename": item.filename,
                    "mimeType": item.mime_type,
                    "purpose": item.purpose,
                    "hash": _hash(item.content),
                }
                for item in attachments
            ],
        },
        "publicServiceType": {
            "name": definition.title,
            "identifier": f"urn:de:fim:leika:leistung:{definition.service}"
            if definition.service
            else "",
        },
        "additionalReferenceInfo": {
            "senderReference": application.reference,
            "applicationDate": application.submitted_at.date().isoformat()
            if application.submitted_at
            else "",
        },
        "idempotencyKey": idempotency_key,
    }
    return Package(idempotency_key, metadata, data, tuple(attachments))

"""The OpenAPI 3.1 description of the office API (served at /api/office/v1/openapi.json).

Request bodies are checked against the schemas here (``REQUESTS``), so the document and the
checks cannot drift apart.
"""

from __future__ import annotations

from typing import Any

from portal.applications.models import CaseStatus
from portal.identity.clients import SCOPES

STRING = {"type": "string"}
NULLABLE_TIME = {"type": ["string", "null"], "format": "date-time"}
TEXT = {"type": "string", "minLength": 1, "maxLength": 10000}
FILE = {
    "type": "object",
    "additionalProperties": False,
    "required": ["filename", "content"],
    "properties": {
        "filename": {"type": "string", "minLength": 1, "maxLength": 200},
        "content": {"type": "string", "contentEncoding": "base64", "minLength": 1},
    },
}

REQUESTS: dict[str, dict[str, Any]] = {
    "StatusChange": {
        "type": "object",
        "additionalProperties": False,
        "required": ["status"],
        "properties": {
            "status": {"type": "string", "enum": [s.value for s in CaseStatus]},
            "note": {"type": "string", "maxLength": 10000},
        },
    },
    "Query": {
        "type": "object",
        "additionalProperties": False,
        "required": ["text"],
        "properties": {"text": TEXT},
    },
    "NewMessage": {
        "type": "object",
        "additionalProperties": False,
        "required": ["text"],
        "properties": {
            "text": TEXT,
            "attachments": {"type": "array", "maxItems": 5, "items": FILE},
        },
    },
    "Decision": {
        "type": "object",
        "additionalProperties": False,
        "required": ["text", "document"],
        "properties": {"text": TEXT, "document": FILE},
    },
}

RESPONSES: dict[str, dict[str, Any]] = {
    "Problem": {
        "type": "object",
        "required": ["type", "title", "status"],
        "properties": {
            "type": STRING,
            "title": STRING,
            "status": {"type": "integer"},
            "detail": STRING,
            "errors": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"field": STRING, "detail": STRING},
                },
            },
        },
    },
    "CaseSummary": {
        "type": "object",
        "required": ["id", "reference", "title", "status", "submittedAt", "changeId"],
        "properties": {
            "id": STRING,
            "reference": STRING,
            "title": STRING,
            "form": {
                "type": "object",
                "properties": {"key": STRING, "version": {"type": "integer"}},
            },
            "officeId": {"type": ["integer", "null"]},
            "status": {"type": "string", "enum": [s.value for s in CaseStatus]},
            "submittedAt": NULLABLE_TIME,
            "statusChangedAt": NULLABLE_TIME,
            "acknowledgedAt": NULLABLE_TIME,
            "erased": {"type": "boolean"},
            "changeId": {"type": "integer", "description": "Cursor: letzte Änderung"},
            "lastChange": STRING,
        },
    },
    "CaseList": {
        "type": "object",
        "required": ["items", "nextCursor"],
        "properties": {
            "items": {"type": "array", "items": {"$ref": "#/components/schemas/CaseSummary"}},
            "nextCursor": {"type": ["string", "null"]},
        },
    },
    "Attachment": {
        "type": "object",
        "properties": {
            "id": STRING,
            "filename": STRING,
            "mimeType": STRING,
            "size": {"type": "integer"},
            "sha256": STRING,
            "href": STRING,
            "retrievedAt": NULLABLE_TIME,
        },
    },
    "Message": {
        "type": "object",
        "required": ["id", "fromOffice", "kind", "createdAt", "text", "attachments"],
        "properties": {
            "id": STRING,
            "fromOffice": {"type": "boolean"},
            "kind": STRING,
            "createdAt": NULLABLE_TIME,
            "readAt": NULLABLE_TIME,
            "text": STRING,
            "attachments": {"type": "array", "items": {"$ref": "#/components/schemas/Attachment"}},
        },
    },
    "Case": {
        "allOf": [
            {"$ref": "#/components/schemas/CaseSummary"},
            {
                "type": "object",
                "required": ["metadata", "data", "attachments", "messages", "history"],
                "properties": {
                    "metadata": {
                        "type": "object",
                        "description": "wie metadata.json des Übergabepakets (FIT-Connect)",
                    },
                    "data": {"type": "object", "description": "wie data.json"},
                    "attachments": {
                        "type": "array",
                        "items": {"$ref": "#/components/schemas/Attachment"},
                    },
                    "messages": {
                        "type": "array",
                        "items": {"$ref": "#/components/schemas/Message"},
                    },
                    "history": {"type": "array", "items": {"type": "object"}},
                    "decision": {
                        "oneOf": [{"type": "null"}, {"$ref": "#/components/schemas/DecisionState"}]
                    },
                },
            },
        ]
    },
    "DecisionState": {
        "type": "object",
        "required": ["messageId", "attachmentId", "issuedAt", "retrievedAt"],
        "properties": {
            "messageId": STRING,
            "attachmentId": STRING,
            "filename": STRING,
            "issuedAt": NULLABLE_TIME,
            "retrievedAt": NULLABLE_TIME,
            "deemedDeliveredOn": {"type": ["string", "null"], "format": "date"},
        },
    },
    "Acknowledgement": {
        "type": "object",
        "required": ["acknowledgedAt"],
        "properties": {"acknowledgedAt": {"type": "string", "format": "date-time"}},
    },
    "Token": {
        "type": "object",
        "required": ["access_token", "token_type", "expires_in"],
        "properties": {
            "access_token": STRING,
            "token_type": STRING,
            "expires_in": {"type": "integer"},
            "scope": STRING,
        },
    },
}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(name: str, description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref(name)}}}


PROBLEM = {
    "description": "Fehler (RFC 9457)",
    "content": {"application/problem+json": {"schema": _ref("Problem")}},
}
CASE_ID = {"name": "public_id", "in": "path", "required": True, "schema": STRING}
IDEMPOTENCY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": True,
    "schema": {"type": "string", "minLength": 1, "maxLength": 200},
    "description": "Eine Wiederholung mit demselben Schlüssel hat keine zweite Wirkung.",
}


def _errors(*codes: int) -> dict[str, Any]:
    return {str(code): PROBLEM for code in (401, 403, 404, 429, *codes)}


def _write(
    summary: str, operation: str, scope: str, body: str, answer: str, *codes: int
) -> dict[str, Any]:
    return {
        "post": {
            "summary": summary,
            "operationId": operation,
            "security": [{"oauth2": [scope]}],
            "parameters": [CASE_ID, IDEMPOTENCY],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _ref(body)}},
            },
            "responses": {
                "200": _json(answer, "Erledigt"),
                **_errors(400, 409, 413, 415, 422, *codes),
            },
        }
    }


def openapi_document() -> dict[str, Any]:
    read = [{"oauth2": ["cases:read"]}]
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Serviceportal – Schnittstelle für Fachverfahren",
            "version": "1.0.0",
            "description": (
                "Für die Fachverfahren und Dokumentenmanagementsysteme der Ämter: Vorgänge "
                "abholen, Eingang bestätigen, Status setzen, Rückfragen stellen, Nachrichten "
                "und Bescheide in das Postfach senden. Anmeldung mit OAuth 2.0 Client "
                "Credentials; jeder Client sieht nur die Vorgänge seiner Ämter."
            ),
        },
        "servers": [{"url": "/api/office/v1"}],
        "components": {
            "securitySchemes": {
                "oauth2": {
                    "type": "oauth2",
                    "flows": {
                        "clientCredentials": {
                            "tokenUrl": "/api/office/v1/token",
                            "scopes": dict(SCOPES),
                        }
                    },
                }
            },
            "schemas": {**REQUESTS, **RESPONSES},
        },
        "paths": {
            "/token": {
                "post": {
                    "summary": "Token holen (client_credentials)",
                    "operationId": "token",
                    "security": [],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/x-www-form-urlencoded": {
                                "schema": {
                                    "type": "object",
                                    "required": ["grant_type"],
                                    "properties": {
                                        "grant_type": {"const": "client_credentials"},
                                        "scope": STRING,
                                    },
                                }
                            }
                        },
                    },
                    "responses": {
                        "200": _json("Token", "Token für zehn Minuten"),
                        "400": {"description": "OAuth-Fehler"},
                        "401": {"description": "Client unbekannt oder Geheimnis falsch"},
                        "429": {
                            "description": "Zu viele Anmeldeversuche von dieser Adresse; "
                            "Retry-After nennt die Sekunden bis zum nächsten Versuch",
                            "headers": {"Retry-After": {"schema": {"type": "integer"}}},
                            "content": {"application/problem+json": {"schema": _ref("Problem")}},
                        },
                    },
                }
            },
            "/cases": {
                "get": {
                    "summary": "Neue und geänderte Vorgänge der eigenen Ämter",
                    "operationId": "listCases",
                    "security": read,
                    "parameters": [
                        {
                            "name": "cursor",
                            "in": "query",
                            "schema": {"type": "string", "pattern": "^[0-9]{1,10}$"},
                            "description": "nextCursor der letzten Seite: eine ganze Zahl von 0 "
                            "bis 2147483647",
                        },
                        {
                            "name": "since",
                            "in": "query",
                            "schema": {"type": "string", "format": "date-time"},
                            "description": "nur Änderungen ab diesem Zeitpunkt (ISO 8601, Jahr "
                            "1900 bis 9000)",
                        },
                        {
                            "name": "limit",
                            "in": "query",
                            "schema": {"type": "integer", "minimum": 1, "maximum": 200},
                        },
                    ],
                    "responses": {"200": _json("CaseList", "Eine Seite"), **_errors(400)},
                }
            },
            "/cases/{public_id}": {
                "get": {
                    "summary": "Ein Vorgang mit Angaben, Dateien, Nachrichten und Verlauf",
                    "operationId": "getCase",
                    "security": read,
                    "parameters": [CASE_ID],
                    "responses": {"200": _json("Case", "Der Vorgang"), **_errors()},
                }
            },
            "/cases/{public_id}/files/{file_id}": {
                "get": {
                    "summary": "Eine Datei des Vorgangs (Quittung, Anlage, Postfach-Anhang)",
                    "operationId": "getFile",
                    "security": read,
                    "parameters": [
                        CASE_ID,
                        {"name": "file_id", "in": "path", "required": True, "schema": STRING},
                    ],
                    "responses": {"200": {"description": "Die Datei"}, **_errors()},
                }
            },
            "/cases/{public_id}/acknowledgement": {
                "post": {
                    "summary": "Eingang im Fachverfahren bestätigen",
                    "operationId": "acknowledge",
                    "security": read,
                    "parameters": [CASE_ID, IDEMPOTENCY],
                    "responses": {
                        "200": _json("Acknowledgement", "Bestätigt"),
                        **_errors(400, 409),
                    },
                }
            },
            "/cases/{public_id}/status": _write(
                "Status setzen (mit Hinweis für die antragstellende Person)",
                "setStatus",
                "cases:write",
                "StatusChange",
                "CaseSummary",
            ),
            "/cases/{public_id}/queries": _write(
                "Rückfrage: Unterlagen oder Angaben nachfordern",
                "askForDocuments",
                "cases:write",
                "Query",
                "Message",
            ),
            "/cases/{public_id}/messages": _write(
                "Nachricht mit Anhängen in das Postfach senden",
                "sendMessage",
                "messages:write",
                "NewMessage",
                "Message",
            ),
            "/cases/{public_id}/decision": {
                **_write(
                    "Bescheid (PDF) zustellen",
                    "issueDecision",
                    "cases:write",
                    "Decision",
                    "DecisionState",
                ),
                "get": {
                    "summary": "Zugestellter Bescheid und wann er abgerufen wurde",
                    "operationId": "getDecision",
                    "security": read,
                    "parameters": [CASE_ID],
                    "responses": {"200": _json("DecisionState", "Der Bescheid"), **_errors()},
                },
            },
        },
    }

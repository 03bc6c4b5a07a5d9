"""The OpenAPI 3.1 description of the catalogue API (served at /api/openapi.json)."""

from __future__ import annotations

from typing import Any

STRING = {"type": "string"}
NULLABLE_STRING = {"type": ["string", "null"]}
INTEGER = {"type": "integer"}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "description": description,
        "headers": {
            "ETag": {"schema": STRING},
            "Cache-Control": {"schema": STRING},
        },
        "content": {"application/json": {"schema": schema}},
    }


ERROR = {
    "description": "Fehler als Problem Details (RFC 9457); auch für eine Adresse, die es nicht "
    "gibt, oder eine Kennung, die keine Zahl ist",
    "content": {"application/problem+json": {"schema": _ref("Problem")}},
}
NOT_MODIFIED = {"description": "Unverändert seit dem ETag aus If-None-Match"}


def openapi_document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Serviceportal – Leistungskatalog",
            "version": "1.2.0",
            "description": (
                "Lesender Zugriff auf die veröffentlichten Leistungen, Themenfelder, Stellen und "
                "die Gebietskörperschaften der Region. "
                "Ids bleiben über Importe hinweg gleich."
            ),
        },
        "paths": {
            "/api/v1/services": {
                "get": {
                    "summary": "Leistungen suchen und blättern",
                    "operationId": "listServices",
                    "parameters": [
                        {
                            "name": "q",
                            "in": "query",
                            "schema": {"type": "string", "maxLength": 200},
                            "description": "Suchbegriff; ohne ihn alphabetisch",
                        },
                        {
                            "name": "themenfeld",
                            "in": "query",
                            "schema": STRING,
                            "description": "Slug eines Themenfelds (siehe /api/v1/themenfelder)",
                        },
                        {
                            "name": "page",
                            "in": "query",
                            "schema": {
                                "type": "integer",
                                "minimum": 1,
                                "maximum": 100_000,
                                "default": 1,
                            },
                        },
                        {
                            "name": "per_page",
                            "in": "query",
                            "schema": {
                                "type": "integer",
                                "minimum": 1,
                                "maximum": 100,
                                "default": 20,
                            },
                        },
                    ],
                    "responses": {
                        "200": _json(_ref("ServicePage"), "Eine Seite Leistungen"),
                        "304": NOT_MODIFIED,
                        "400": ERROR,
                    },
                }
            },
            "/api/v1/services/{id}": {
                "get": {
                    "summary": "Eine Leistung mit allen Textmodulen",
                    "operationId": "getService",
                    "parameters": [
                        {"name": "id", "in": "path", "required": True, "schema": INTEGER},
                        {
                            "name": "place",
                            "in": "query",
                            "schema": {"type": "string", "maxLength": 100},
                            "description": (
                                "Wohnort: Slug, Postleitzahl, Name oder ARS eines Orts der "
                                "Region (siehe /api/v1/authorities). Dann nennt die Antwort "
                                "in responsible_here die dort zuständigen Stellen."
                            ),
                        },
                    ],
                    "responses": {
                        "200": _json(_ref("Service"), "Die Leistung"),
                        "304": NOT_MODIFIED,
                        "400": ERROR,
                        "404": ERROR,
                    },
                }
            },
            "/api/v1/themenfelder": {
                "get": {
                    "summary": "Themenfelder mit ihren Lebenslagen",
                    "operationId": "listThemenfelder",
                    "responses": {
                        "200": _json(
                            {"type": "array", "items": _ref("Themenfeld")}, "Alle Themenfelder"
                        ),
                        "304": NOT_MODIFIED,
                    },
                }
            },
            "/api/v1/authorities": {
                "get": {
                    "summary": "Die Gebietskörperschaften der Region",
                    "operationId": "listAuthorities",
                    "responses": {
                        "200": _json(
                            {"type": "array", "items": _ref("Authority")},
                            "Kreis, Gemeinden, kreisfreie Städte und Land, nach Namen",
                        ),
                        "304": NOT_MODIFIED,
                    },
                }
            },
            "/api/v1/offices/{id}": {
                "get": {
                    "summary": "Eine Stelle mit Kontakt, Öffnungszeiten und Leistungen",
                    "operationId": "getOffice",
                    "parameters": [
                        {"name": "id", "in": "path", "required": True, "schema": INTEGER}
                    ],
                    "responses": {
                        "200": _json(_ref("Office"), "Die Stelle"),
                        "304": NOT_MODIFIED,
                        "404": ERROR,
                    },
                }
            },
        },
        "components": {"schemas": _schemas()},
    }


def _schemas() -> dict[str, Any]:
    summary_properties = {
        "id": INTEGER,
        "name": STRING,
        "summary": STRING,
        "keys": {"type": "array", "items": {"type": "string", "pattern": "^99[0-9]{12}$"}},
        "online_url": NULLABLE_STRING,
        "url": {"type": "string", "format": "uri"},
        "api_url": {"type": "string", "format": "uri"},
    }
    return {
        "Problem": {
            "type": "object",
            "required": ["type", "title", "status"],
            "properties": {"type": STRING, "title": STRING, "status": INTEGER, "detail": STRING},
        },
        "ServiceSummary": {
            "type": "object",
            "required": list(summary_properties),
            "properties": summary_properties,
        },
        "ServicePage": {
            "type": "object",
            "required": ["items", "page", "per_page", "total", "next"],
            "properties": {
                "items": {"type": "array", "items": _ref("ServiceSummary")},
                "page": INTEGER,
                "per_page": INTEGER,
                "total": INTEGER,
                "next": {"type": ["string", "null"], "format": "uri"},
            },
        },
        "Service": {
            "allOf": [
                _ref("ServiceSummary"),
                {
                    "type": "object",
                    "required": ["texts", "fees", "offices", "lebenslagen"],
                    "properties": {
                        "texts": {
                            "type": "object",
                            "description": "Textmodul → Sprache → HTML",
                            "additionalProperties": {
                                "type": "object",
                                "additionalProperties": STRING,
                            },
                        },
                        "fees": {"type": "array", "items": {"type": "object"}},
                        "deadlines": {"type": "array", "items": {"type": "object"}},
                        "processing_times": {"type": "array", "items": {"type": "object"}},
                        "forms": {"type": "array", "items": _ref("Link")},
                        "links": {"type": "array", "items": _ref("Link")},
                        "addressees": {
                            "type": "array",
                            "items": {"enum": ["buerger", "unternehmen", "verwaltung"]},
                        },
                        "trust_level": {
                            "enum": ["basisregistrierung", "substanziell", "hoch", None]
                        },
                        "source": STRING,
                        "changed_at": {"type": ["string", "null"], "format": "date-time"},
                        "lebenslagen": {"type": "array", "items": {"type": "object"}},
                        "offices": {"type": "array", "items": _ref("OfficeRef")},
                        "place": _ref("Authority"),
                        "responsible_here": {"type": "array", "items": _ref("OfficeRef")},
                    },
                },
            ]
        },
        "Link": {
            "type": "object",
            "properties": {"name": STRING, "url": STRING, "description": STRING},
        },
        "Themenfeld": {
            "type": "object",
            "required": ["key", "name", "slug", "lebenslagen"],
            "properties": {
                "key": STRING,
                "name": STRING,
                "slug": STRING,
                "lebenslagen": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {"key": STRING, "name": STRING, "slug": STRING},
                    },
                },
            },
        },
        "Authority": {
            "type": "object",
            "required": ["id", "name", "slug", "ars", "kind", "parent_id", "postal_codes"],
            "properties": {
                "id": INTEGER,
                "name": STRING,
                "slug": STRING,
                "ars": {"type": ["string", "null"], "pattern": "^[0-9]{2,12}$"},
                "kind": {"enum": ["gemeinde", "kreis", "kreisfreie_stadt", "land"]},
                "parent_id": {"type": ["integer", "null"]},
                "postal_codes": {
                    "type": "array",
                    "items": {"type": "string", "pattern": "^[0-9]{5}$"},
                },
                "imprint": STRING,
                "privacy_contact": STRING,
            },
        },
        "OfficeRef": {
            "type": "object",
            "required": ["id", "name", "areas", "authority_id", "api_url"],
            "properties": {
                "id": INTEGER,
                "name": STRING,
                "areas": {
                    "type": "array",
                    "items": STRING,
                    "description": "Eigene Gebiete der Zuständigkeit (ARS); leer: das Gebiet "
                    "der Gebietskörperschaft der Stelle",
                },
                "authority_id": INTEGER,
                "api_url": {"type": "string", "format": "uri"},
            },
        },
        "Office": {
            "type": "object",
            "required": ["id", "name", "authority_id", "address", "services"],
            "properties": {
                "id": INTEGER,
                "name": STRING,
                "authority_id": INTEGER,
                "organization": STRING,
                "address": {
                    "type": "object",
                    "properties": {"street": STRING, "postal_code": STRING, "city": STRING},
                },
                "phone": STRING,
                "email": STRING,
                "url": STRING,
                "opening_hours": {"type": "array", "items": {"type": "object"}},
                "services": {"type": "array", "items": {"type": "object"}},
            },
        },
    }

"""The portal's open data described after DCAT-AP.de, so that an open-data portal (GovData, a
Land's portal) can harvest it: a catalogue with two data sets, the Leistungskatalog (the JSON
API) and the dashboard's figures (CSV and JSON), under dl-de/by-2-0. Built with rdflib."""

from __future__ import annotations

import datetime as dt
import re

from rdflib import DCAT, DCTERMS, FOAF, RDF, XSD, Graph, Literal, Namespace, URIRef

from portal.core.urls import absolute_url

DCATDE = Namespace("http://dcat-ap.de/def/dcatde/")
CONTRIBUTORS = "http://dcat-ap.de/def/contributors/"
CONTRIBUTOR_ID = re.compile(r"[A-Za-z][A-Za-z0-9]{1,99}")
UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue",
                         "ß": "ss"})  # fmt: skip
LICENCE = URIRef("http://dcat-ap.de/def/licenses/dl-by-de/2.0")
FILE_TYPE = "http://publications.europa.eu/resource/authority/file-type/"
THEME_GOVERNMENT = URIRef("http://publications.europa.eu/resource/authority/data-theme/GOVE")
GERMAN = URIRef("http://publications.europa.eu/resource/authority/language/DEU")
KEYWORDS = {
    "leistungskatalog": ("Verwaltungsleistungen", "Leistungskatalog", "Zuständigkeiten"),
    "digitalisierung": ("Onlinezugangsgesetz", "Digitalisierung", "Kennzahlen"),
}


def contributor(setting: str, municipality: str) -> URIRef:
    """``PORTAL_DCAT_CONTRIBUTOR_ID`` as an IRI of the DCAT-AP.de contributors list (K12/13:
    every data set names exactly one); empty: built the list's way from the municipality's
    name ("Kreis Musterland" → contributors/kreisMusterland) until GovData assigns one.
    Raises ``ValueError`` for anything else."""
    value = setting.strip().removeprefix(CONTRIBUTORS)
    if not value:
        words = re.findall(r"[A-Za-z0-9]+", municipality.translate(UMLAUTS)) or ["serviceportal"]
        value = words[0].lower() + "".join(word[:1].upper() + word[1:] for word in words[1:])
    if not CONTRIBUTOR_ID.fullmatch(value):
        raise ValueError(
            f"PORTAL_DCAT_CONTRIBUTOR_ID: „{setting}“ ist keine Datenbereitsteller-ID nach "
            f"DCAT-AP.de ({CONTRIBUTORS}<id>, Buchstaben und Ziffern)."
        )
    return URIRef(CONTRIBUTORS + value)


def catalogue_graph(
    municipality: str, modified: dt.datetime, contributor_id: URIRef | None = None
) -> Graph:
    """The catalogue, its data sets and their distributions, with absolute addresses."""
    graph = Graph()
    graph.bind("dcat", DCAT)
    graph.bind("dct", DCTERMS)
    graph.bind("foaf", FOAF)
    graph.bind("dcatde", DCATDE)
    catalogue = URIRef(absolute_url("dashboard.dcat"))
    publisher = URIRef(absolute_url("pages.start"))
    graph.add((publisher, RDF.type, FOAF.Agent))
    graph.add((publisher, FOAF.name, Literal(municipality, lang="de")))
    graph.add((catalogue, RDF.type, DCAT.Catalog))
    graph.add((catalogue, DCTERMS.title, Literal(f"Serviceportal {municipality}", lang="de")))
    graph.add((catalogue, DCTERMS.description, Literal(
        f"Offene Daten des Serviceportals {municipality}: der Leistungskatalog und die "
        "Kennzahlen der Digitalisierung.", lang="de")))  # fmt: skip
    graph.add((catalogue, DCTERMS.publisher, publisher))
    graph.add((catalogue, DCTERMS.language, GERMAN))
    graph.add((catalogue, FOAF.homepage, publisher))
    stamp = Literal(modified.replace(microsecond=0).isoformat(), datatype=XSD.dateTime)
    attribution = Literal(f"Serviceportal {municipality}", lang="de")
    data_sets = [
        (
            "leistungskatalog",
            f"Leistungskatalog {municipality}",
            "Alle Verwaltungsleistungen mit Beschreibung, Zuständigkeit, Gebühren und "
            "Online-Angebot, als JSON über die Programmierschnittstelle.",
            [
                ("catalog_api.service_list", "JSON", "Leistungen (JSON, seitenweise)"),
                ("catalog_api.openapi", "JSON", "Beschreibung der Schnittstelle (OpenAPI)"),
            ],
        ),
        (
            "digitalisierung",
            f"Digitalisierung in Zahlen – {municipality}",
            "Leistungen nach Thema und Reifegrad, online gestellte Anträge pro Monat und Amt, "
            "Anteil online bezahlter Gebühren, Dauer bis zum Bescheid, Zustellung über das "
            "Postfach. Zahlen von 1 bis 4 Anträgen sind als „<5“ angegeben.",
            [
                ("dashboard.figures_csv", "CSV", "Kennzahlen (CSV)"),
                ("dashboard.figures_json", "JSON", "Kennzahlen (JSON)"),
            ],
        ),
    ]
    landing = {"leistungskatalog": URIRef(absolute_url("catalog.a_z")),
               "digitalisierung": URIRef(absolute_url("dashboard.page"))}  # fmt: skip
    for key, title, description, distributions in data_sets:
        data_set = URIRef(f"{catalogue}#{key}")
        graph.add((catalogue, DCAT.dataset, data_set))
        graph.add((data_set, RDF.type, DCAT.Dataset))
        graph.add((data_set, DCTERMS.identifier, Literal(key)))
        graph.add((data_set, DCTERMS.title, Literal(title, lang="de")))
        graph.add((data_set, DCTERMS.description, Literal(description, lang="de")))
        graph.add((data_set, DCTERMS.publisher, publisher))
        graph.add((data_set, DCATDE.contributorID, contributor_id or contributor("", municipality)))
        graph.add((data_set, DCAT.landingPage, landing[key]))
        for word in KEYWORDS[key]:
            graph.add((data_set, DCAT.keyword, Literal(word, lang="de")))
        graph.add((data_set, DCTERMS.modified, stamp))
        graph.add((data_set, DCAT.theme, THEME_GOVERNMENT))
        graph.add((data_set, DCTERMS.language, GERMAN))
        for endpoint, file_type, label in distributions:
            address = URIRef(absolute_url(endpoint))
            distribution = URIRef(f"{address}#distribution")
            graph.add((data_set, DCAT.distribution, distribution))
            graph.add((distribution, RDF.type, DCAT.Distribution))
            graph.add((distribution, DCTERMS.title, Literal(label, lang="de")))
            graph.add((distribution, DCAT.accessURL, address))
            graph.add((distribution, DCAT.downloadURL, address))
            graph.add((distribution, DCTERMS.format, URIRef(FILE_TYPE + file_type)))
            graph.add((distribution, DCTERMS.license, LICENCE))
            # dl-de/by asks for the source to be named: the text to name it with.
            graph.add((distribution, DCATDE.licenseAttributionByText, attribution))
            graph.add((distribution, DCTERMS.modified, stamp))
    return graph

"""The CASE 1.1 read API (1EdTech REST binding, read-only): the packages, documents and items
of the published référentiels, as JSON.

Public like the référentiel pages (PUBLIC_FRAMEWORKS); drafts are never served here (their
package is downloaded from the version page by the people who see drafts).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify

from app.frameworks import case as case_service
from app.route_rules import public_frameworks
from exports import case

bp = Blueprint("case", __name__, url_prefix=case.API_PATH)


def _json(payload: Any, status: int = 200) -> Response:
    response = jsonify(payload)
    response.status_code = status
    return response


def _unknown(identifier: str) -> Response:
    """The spec's answer to an unknown identifier: 404 with an imsx_StatusInfo."""
    return _json(
        {
            "imsx_codeMajor": "failure",
            "imsx_severity": "error",
            "imsx_description": f"Unknown Object: {identifier}",
            "imsx_CodeMinor": {
                "imsx_codeMinorField": [
                    {
                        "imsx_codeMinorFieldName": "sourcedId",
                        "imsx_codeMinorFieldValue": "unknownobject",
                    }
                ]
            },
        },
        404,
    )


@bp.get("/CFDocuments")
@public_frameworks
def documents() -> Response:
    packages = case_service.published_packages()
    return _json({"CFDocuments": [case.standalone_document(p) for p in packages]})


@bp.get("/CFDocuments/<identifier>")
@public_frameworks
def document(identifier: str) -> Response:
    found = case_service.find_package(identifier)
    if found is None:
        return _unknown(identifier)
    return _json(case.standalone_document(found))


@bp.get("/CFPackages/<identifier>")
@public_frameworks
def package(identifier: str) -> Response:
    found = case_service.find_package(identifier)
    if found is None:
        return _unknown(identifier)
    return _json(found)


@bp.get("/CFItems/<identifier>")
@public_frameworks
def item(identifier: str) -> Response:
    found = case_service.find_item(identifier)
    if found is None:
        return _unknown(identifier)
    return _json(found)

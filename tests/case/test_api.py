"""The CASE read API and the download on the version page."""

from __future__ import annotations

import copy
from typing import Any

from exports import case
from tests.factories import doc_variant

API = "/ims/case/v1p1"


def test_documents_list_published_versions_only(
    client: Any, create_version: Any, mini_doc: dict[str, Any]
) -> None:
    published = create_version(publish=True)
    draft_doc = doc_variant(mini_doc, label="v2")
    create_version(draft_doc)
    response = client.get(f"{API}/CFDocuments")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    documents = response.get_json()["CFDocuments"]
    assert [d["version"] for d in documents] == [published.label]
    document = documents[0]
    assert (
        document["CFPackageURI"]["uri"]
        == f"http://localhost{API}/CFPackages/{document['identifier']}"
    )


def test_package_document_and_item_by_identifier(client: Any, version: Any) -> None:
    (document,) = client.get(f"{API}/CFDocuments").get_json()["CFDocuments"]
    identifier = document["identifier"]
    package = client.get(f"{API}/CFPackages/{identifier}").get_json()
    assert case.schema_problems(package) == []
    assert package["CFDocument"]["identifier"] == identifier
    assert client.get(f"{API}/CFDocuments/{identifier}").get_json() == document
    # Identifiers are matched whatever their case.
    assert client.get(f"{API}/CFPackages/{identifier.upper()}").status_code == 200
    item = package["CFItems"][2]
    served = client.get(f"{API}/CFItems/{item['identifier']}").get_json()
    assert served == {
        **item,
        "CFDocumentURI": {k: document[k] for k in ("title", "identifier", "uri")},
    }
    # Each item's uri is where it is served.
    assert item["uri"] == f"http://localhost{API}/CFItems/{item['identifier']}"


def test_unknown_and_draft_identifiers_are_404(
    client: Any, create_version: Any, mini_doc: dict[str, Any]
) -> None:
    draft = create_version()
    draft_id = case.document_identifier(draft.certification.code, draft.label)
    item_id = case.item_identifier(draft_id, "bloc", draft.blocs[0].code)
    for url in (
        f"{API}/CFPackages/{draft_id}",
        f"{API}/CFDocuments/{draft_id}",
        f"{API}/CFItems/{item_id}",
        f"{API}/CFItems/pas-un-identifiant",
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert response.get_json()["imsx_codeMajor"] == "failure"


def test_read_api_follows_public_frameworks(app: Any, client: Any, version: Any) -> None:
    app.config["PUBLIC_FRAMEWORKS"] = False
    try:
        response = client.get(f"{API}/CFDocuments")
    finally:
        app.config["PUBLIC_FRAMEWORKS"] = True
    assert response.status_code == 302
    assert "/connexion" in response.headers["Location"]


def test_retirement_shows_in_the_served_document(
    client: Any, version: Any, db_session: Any
) -> None:
    from app.frameworks import services

    before = client.get(f"{API}/CFDocuments").get_json()["CFDocuments"][0]
    assert before["adoptionStatus"] == "Adopted"
    services.retire(version)
    db_session.commit()
    after = client.get(f"{API}/CFDocuments").get_json()["CFDocuments"][0]
    assert after["adoptionStatus"] == "Deprecated"
    assert after["lastChangeDateTime"] == case.timestamp(version.retired_at)


def test_version_page_links_to_the_package(
    client: Any,
    login: Any,
    coordinator: Any,
    version: Any,
    create_version: Any,
    mini_doc: dict[str, Any],
) -> None:
    page = client.get(f"/referentiels/MINI/{version.label}").get_data(as_text=True)
    url = f"/referentiels/MINI/{version.label}/case.json"
    assert f'href="{url}"' in page
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == 'attachment; filename="MINI-v1.case.json"'
    assert case.schema_problems(response.get_json()) == []
    # A draft's package: for those who see drafts (coordinators) only.
    draft_doc = doc_variant(mini_doc, label="v2")
    create_version(draft_doc)
    assert client.get("/referentiels/MINI/v2/case.json").status_code == 404
    login(coordinator)
    response = client.get("/referentiels/MINI/v2/case.json")
    assert response.status_code == 200
    assert response.get_json()["CFDocument"]["adoptionStatus"] == "Draft"


def test_the_list_is_linked_from_the_frameworks_index(client: Any, version: Any) -> None:
    page = client.get("/").get_data(as_text=True)
    assert f'href="{API}/CFDocuments"' in page


def test_query_counts_do_not_grow_with_the_referentiel(
    client: Any,
    create_version: Any,
    mini_doc: dict[str, Any],
    two_blocs_doc: dict[str, Any],
    count_queries: Any,
) -> None:
    create_version(publish=True)
    bigger = copy.deepcopy(two_blocs_doc)
    bigger["certification"]["code"] = "GRAND"
    create_version(bigger, publish=True)
    counts = []
    for code in ("MINI", "GRAND"):
        with count_queries() as counter:
            assert client.get(f"/referentiels/{code}/v1/case.json").status_code == 200
        counts.append(counter.count)
    assert counts[0] == counts[1]
    client.get(f"{API}/CFDocuments")  # builds and keeps the published packages
    with count_queries() as counter:
        documents = client.get(f"{API}/CFDocuments").get_json()["CFDocuments"]
        item = client.get(f"{API}/CFPackages/{documents[0]['identifier']}").get_json()["CFItems"][0]
        assert client.get(f"{API}/CFItems/{item['identifier']}").status_code == 200
    assert counter.count == 3  # one per request: the published versions' rows

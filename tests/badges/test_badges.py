"""Open Badges 3.0: issued for a validated bloc and for the certification, valid against the
official schema, verified by /verifier, refused once changed or revoked, kept valid across a
key rotation."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from io import BytesIO
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from jsonschema import Draft201909Validator

from app.badges import crypto, services
from app.badges.credential import case_item_id
from app.badges.models import BadgeKey, IssuedBadge
from app.cohorts.enrolling import withdraw_certification
from app.cohorts.models import Enrolment, EnrolmentStatus
from app.jury.models import Decision
from tests.jury.factories import Pilot

SHARED_SCHEMA = (
    Path(__file__).resolve().parents[3]
    / "shared"
    / "schemas"
    / "ob_v3p0_achievementcredential_schema.json"
)
APP_SCHEMA = (
    Path(__file__).resolve().parents[2]
    / "app"
    / "badges"
    / "ob_v3p0_achievementcredential_schema.json"
)


def official_validator() -> Draft201909Validator:
    # The copy the application ships is the official file, byte for byte.
    if SHARED_SCHEMA.exists():
        assert SHARED_SCHEMA.read_bytes() == APP_SCHEMA.read_bytes()
    return Draft201909Validator(json.loads(APP_SCHEMA.read_text(encoding="utf-8")))


def verify(client: Any, text: str) -> Any:
    return client.post("/verifier/badge", data={"badge-credential": text})


def test_bloc_badge_is_a_valid_open_badge(
    pilot: Pilot, certifier: Any, download: Any, bc01_validated: Enrolment
) -> None:
    enrolment = bc01_validated

    text = download(enrolment, "BC01")
    badge = json.loads(text)

    errors = list(official_validator().iter_errors(badge))
    assert errors == []
    assert badge["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert badge["validFrom"] == "2026-03-12T00:00:00+01:00"  # the jury's date, in France
    issuer = badge["issuer"]
    assert issuer["name"] == "Organisme d'essai"
    assert issuer["url"] == "http://localhost/"
    assert issuer["id"] == f"http://localhost/badges/emetteurs/{certifier.id}"
    assert issuer["otherIdentifier"] == [
        {"type": "IdentifierEntry", "identifier": "44789845200001", "identifierType": "ext:SIRET"}
    ]
    subject = badge["credentialSubject"]
    identity = subject["identifier"][0]
    assert "id" not in subject and enrolment.learner.email not in text
    expected = hashlib.sha256((enrolment.learner.email.lower() + identity["salt"]).encode())
    assert identity["identityHash"] == "sha256$" + expected.hexdigest()
    achievement = subject["achievement"]
    assert achievement["humanCode"] == "BC01"
    assert achievement["name"] == pilot.bloc("BC01").title
    assert "niveau 5" in achievement["tag"]
    competencies = pilot.bloc("BC01").competencies
    assert [a["targetCode"] for a in achievement["alignment"]] == [c.code for c in competencies]
    first = achievement["alignment"][0]
    assert first["targetType"] == "CFItem"
    assert first["targetUrl"] == (
        "http://localhost/ims/case/v1p1/CFItems/"
        + case_item_id("MINI", "v1", "competency", competencies[0].code)
    )
    for criterion in competencies[0].criteria:
        assert criterion.statement in achievement["criteria"]["narrative"]
    [proof] = badge["proof"]
    assert proof["type"] == "DataIntegrityProof" and proof["cryptosuite"] == "eddsa-jcs-2022"
    assert re.fullmatch(
        r"http://localhost/badges/cles/\d{8}-[0-9a-f]{8}", proof["verificationMethod"]
    )
    status = badge["credentialStatus"]
    assert status["type"] == "BitstringStatusListEntry"
    assert status["statusListCredential"] == f"http://localhost/badges/statut/{certifier.id}"

    # Downloading again gives the same badge, not a second one.
    assert download(enrolment, "BC01") == text


def test_alignments_resolve_to_the_case_items(
    download: Any, client: Any, bc01_validated: Enrolment
) -> None:
    enrolment = bc01_validated
    achievement = json.loads(download(enrolment))["credentialSubject"]["achievement"]
    for alignment in achievement["alignment"]:
        item = client.get(alignment["targetUrl"].removeprefix("http://localhost"))
        assert item.status_code == 200, alignment["targetUrl"]
        assert item.get_json()["humanCodingScheme"] == alignment["targetCode"]
    bloc = client.get(
        "/ims/case/v1p1/CFItems/" + achievement["id"].removeprefix("urn:uuid:")
    ).get_json()
    assert bloc["humanCodingScheme"] == "BC01"


def test_uuid5_identifiers_are_stable() -> None:
    assert case_item_id("MINI", "v1", "competency", "C1.1") == case_item_id(
        "MINI", "v1", "competency", "C1.1"
    )
    assert case_item_id("MINI", "v1", "competency", "C1.1") != case_item_id(
        "MINI", "v2", "competency", "C1.1"
    )


def test_verifier_accepts_a_badge_pasted_or_uploaded(
    download: Any, client: Any, bc01_validated: Enrolment
) -> None:
    enrolment = bc01_validated
    text = download(enrolment)

    client.get("/deconnexion")
    pasted = verify(client, text)
    assert pasted.status_code == 200
    html = pasted.get_data(as_text=True)
    assert "Badge authentique" in html and "Organisme d&#39;essai" in html

    uploaded = client.post(
        "/verifier/badge",
        data={"badge-file": (BytesIO(text.encode()), "badge.json")},
        content_type="multipart/form-data",
    )
    assert uploaded.status_code == 200
    assert "Badge authentique" in uploaded.get_data(as_text=True)

    # The verifier page offers both checks, and the learner's page links to it and the badge.
    page = client.get("/verifier").get_data(as_text=True)
    assert 'action="/verifier/badge"' in page


def test_learner_page_links_to_each_validated_bloc_badge(
    client: Any, login: Any, bc01_validated: Enrolment
) -> None:
    enrolment = bc01_validated
    login(enrolment.learner)
    html = client.get("/me").get_data(as_text=True)
    assert f"/me/badges/{enrolment.id}/blocs/BC01.json" in html
    assert f"/me/badges/{enrolment.id}/blocs/BC02.json" not in html
    assert 'href="/verifier"' in html


def test_one_changed_byte_is_refused_with_a_reason(
    pilot: Pilot, download: Any, client: Any, bc01_validated: Enrolment
) -> None:
    enrolment = bc01_validated
    text = download(enrolment)

    # One letter of the bloc's title changed.
    title = pilot.bloc("BC01").title
    at = text.index(title)
    forged = text[:at] + ("X" if text[at] != "X" else "Y") + text[at + 1 :]
    assert len(forged) == len(text) and forged != text
    response = verify(client, forged)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Badge refusé" in html
    assert "modifié après son émission" in html

    # The validity date moved one day earlier.
    earlier = text.replace("2026-03-12T00:00:00", "2026-03-11T00:00:00")
    assert "modifié après son émission" in verify(client, earlier).get_data(as_text=True)

    # A byte cut: no longer JSON.
    response = verify(client, text[:-3])
    assert response.status_code == 422
    assert "pas un document JSON lisible" in response.get_data(as_text=True)


def test_schema_problems_are_named_by_path(
    download: Any, client: Any, bc01_validated: Enrolment
) -> None:
    enrolment = bc01_validated
    badge = json.loads(download(enrolment))
    del badge["credentialSubject"]["achievement"]["criteria"]
    html = verify(client, json.dumps(badge)).get_data(as_text=True)
    assert "credentialSubject.achievement" in html
    assert "« criteria » manque" in html

    badge = json.loads(download(enrolment))
    badge["type"] = "OpenBadgeCredential"  # a string where the schema wants a list
    html = verify(client, json.dumps(badge)).get_data(as_text=True)
    assert "« type »" in html and "devrait être une liste" in html


def test_a_badge_signed_elsewhere_is_refused(
    download: Any, client: Any, bc01_validated: Enrolment
) -> None:
    enrolment = bc01_validated
    badge = json.loads(download(enrolment))
    seed, _public = crypto.new_key_pair()
    forged = crypto.sign(
        badge, seed, "https://ailleurs.example/cles/1", "2026-03-12T10:00:00+00:00"
    )
    html = verify(client, json.dumps(forged)).get_data(as_text=True)
    assert "pas une clé publiée par ce site" in html
    # Our key named, another key's signature: the signature does not hold.
    forged["proof"][0]["verificationMethod"] = badge["proof"][0]["verificationMethod"]
    html = verify(client, json.dumps(forged)).get_data(as_text=True)
    assert "modifié après son émission" in html


def test_later_jury_revokes_and_the_status_list_says_so(
    pilot: Pilot,
    certifier: Any,
    closed_jury: Any,
    download: Any,
    client: Any,
    db_session: Any,
    bc01_validated: Enrolment,
) -> None:
    enrolment = bc01_validated
    text = download(enrolment)
    badge = json.loads(text)
    index = int(badge["credentialStatus"]["statusListIndex"])
    status_url = f"/badges/statut/{certifier.id}"
    assert verify(client, text).status_code == 200

    before = client.get(status_url).get_json()
    assert not crypto.status_bit(before["credentialSubject"]["encodedList"], index)

    closed_jury(
        pilot,
        enrolment,
        on=dt.date(2026, 6, 2),
        BC01=(Decision.NOT_VALIDATED, "Fraude constatée au dossier."),
    )
    issued = db_session.scalar(sa.select(IssuedBadge).where(IssuedBadge.uuid == badge["id"][9:]))
    assert issued.revoked_at is not None

    response = verify(client, text)
    assert response.status_code == 422
    assert "a été révoqué le" in response.get_data(as_text=True)

    after = client.get(status_url)
    assert after.status_code == 200
    listed = after.get_json()
    assert listed["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert crypto.status_bit(listed["credentialSubject"]["encodedList"], index)
    # The list is signed by the certifier's key too.
    key = db_session.scalar(sa.select(BadgeKey).where(BadgeKey.organisation_id == certifier.id))
    crypto.verify(listed, key.public_key)

    # The learner can no longer download it, and is told why.
    from tests.conftest import IsolatedClient  # noqa: F401

    response = client.get(f"/me/badges/{enrolment.id}/blocs/BC01.json")
    assert response.status_code == 302


def test_rotation_keeps_issued_badges_valid(
    pilot: Pilot, certifier: Any, closed_jury: Any, download: Any, client: Any, app: Any
) -> None:
    enrolment = pilot.enrolments[0]
    closed_jury(pilot, enrolment, BC01=Decision.VALIDATED, BC02=Decision.VALIDATED)
    old = download(enrolment, "BC01")
    old_method = json.loads(old)["proof"][0]["verificationMethod"]

    runner = app.test_cli_runner()
    result = runner.invoke(args=["badges", "rotate-key"])
    assert result.exit_code == 0, result.output
    assert "nouvelle clé" in result.output

    new = download(enrolment, "BC02")
    new_method = json.loads(new)["proof"][0]["verificationMethod"]
    assert new_method != old_method
    for text in (old, new):
        response = verify(client, text)
        assert response.status_code == 200, response.get_data(as_text=True)

    old_kid = old_method.rsplit("/", 1)[1]
    published = client.get(f"/badges/cles/{old_kid}").get_json()
    assert published["type"] == "Multikey" and "retired" in published
    assert published["controller"].endswith(f"/badges/emetteurs/{certifier.id}")
    jwks = client.get("/badges/cles").get_json()
    assert {k["kid"] for k in jwks["keys"]} >= {old_method, new_method}
    assert all("d" not in k for k in jwks["keys"])


def test_certification_badge_and_its_withdrawal(
    pilot: Pilot, certifier: Any, closed_jury: Any, download: Any, client: Any, db_session: Any
) -> None:
    enrolment = pilot.enrolments[0]
    closed_jury(pilot, enrolment, BC01=Decision.VALIDATED, BC02=Decision.VALIDATED)
    db_session.refresh(enrolment)
    assert enrolment.status is EnrolmentStatus.CERTIFIED
    text = download(enrolment, None)
    badge = json.loads(text)
    assert list(official_validator().iter_errors(badge)) == []
    achievement = badge["credentialSubject"]["achievement"]
    assert achievement["achievementType"] == "Certification"
    assert [a["targetCode"] for a in achievement["alignment"]] == ["BC01", "BC02", "BC03"]
    assert verify(client, text).status_code == 200

    # A certified enrolment changes status only through a recorded withdrawal (#11.8).
    withdraw_certification(
        enrolment, reason="Fraude établie", on=dt.date(2026, 12, 1), by=pilot.coordinator
    )
    db_session.commit()
    response = verify(client, text)
    assert response.status_code == 422
    assert "certification n&#39;est plus acquise" in response.get_data(as_text=True)


def test_no_badge_for_a_bloc_not_validated_nor_for_someone_else(
    pilot: Pilot, client: Any, login: Any, bc01_validated: Enrolment
) -> None:
    enrolment = bc01_validated
    login(enrolment.learner)
    response = client.get(f"/me/badges/{enrolment.id}/blocs/BC02.json", follow_redirects=True)
    assert "pas validé par un jury" in response.get_data(as_text=True)
    assert client.get(f"/me/badges/{enrolment.id}/certification.json").status_code == 302
    assert client.get(f"/me/badges/{enrolment.id}/blocs/NOPE.json").status_code == 404
    other = pilot.enrolments[1]
    assert client.get(f"/me/badges/{other.id}/blocs/BC01.json").status_code == 404


def test_issuer_profile_is_published(pilot: Pilot, certifier: Any, client: Any) -> None:
    profile = client.get(f"/badges/emetteurs/{certifier.id}").get_json()
    assert profile["type"] == ["Profile"] and profile["name"] == "Organisme d'essai"
    assert client.get(f"/badges/emetteurs/{pilot.organisation.id}").status_code == 404
    assert client.get(f"/badges/statut/{certifier.id}").status_code == 404  # nothing issued yet


def test_private_keys_are_stored_encrypted(
    download: Any, db_session: Any, app: Any, bc01_validated: Enrolment
) -> None:
    enrolment = bc01_validated
    download(enrolment)
    key = db_session.scalar(sa.select(BadgeKey))
    seed = services.seed_of(key)
    assert seed not in key.sealed_private_key
    try:
        crypto.unseal(key.sealed_private_key, "another secret", key.kid)
    except RuntimeError as exc:
        assert "BADGE_KEY_SECRET" in str(exc)
    else:
        raise AssertionError("decrypted with the wrong secret")


def test_encodings_round_trip() -> None:
    for data in (b"", b"\0\0abc", bytes(range(40))):
        assert crypto.from_base58btc(crypto.base58btc(data)) == data
    _seed, public = crypto.new_key_pair()
    assert crypto.public_from_multibase(crypto.multibase_key(public)) == public
    assert crypto.multibase_key(public).startswith("z6Mk")
    encoded = crypto.encode_status_list({0, 7, 131_071})
    assert [crypto.status_bit(encoded, i) for i in (0, 1, 7, 8, 131_071)] == [
        True,
        False,
        True,
        False,
        True,
    ]

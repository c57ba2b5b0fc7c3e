"""The attestation PDF, its code, and the public verification page."""

from __future__ import annotations

import datetime as dt
import io
import re
from html import unescape
from typing import Any

import pypdf
import pytest
import sqlalchemy as sa

from app.cohorts.models import LearnerIdentity, Sex
from app.jury.models import Decision
from app.people.models import AuditEvent, Role
from app.progress.attestations import new_code, normalise_code
from app.progress.models import CODE_ALPHABET, Attestation
from exports.attestation import AttestationData, ValidatedBloc, render_attestation
from exports.pdf import render_html
from tests.dossier.test_typeset import straight_apostrophes
from tests.jury.factories import Pilot, make_proposed
from tests.pdfua import assert_tagged
from tests.progress.conftest import criterion, level

CODE = re.compile(r"[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}")


def pdf_text(data: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(data))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return text.replace("\u202f", " ")  # French spacing: a narrow no-break space before ":"


@pytest.fixture
def validated(pilot: Pilot, db_session: Any, closed_jury: Any, comment: Any) -> Pilot:
    """Élodie has BC01 validated by the jury of 12 March 2026; she has an identity, an e-mail,
    results and feedback that the verification page must never show."""
    me = pilot.enrolments[0]
    make_proposed(db_session, me, pilot.bloc("BC01"), pilot.trainer)
    closed_jury(pilot, me, on=dt.date(2026, 3, 12), BC01=Decision.VALIDATED)
    comment(me, pilot, "C1.1", "Retour très personnel", pilot.trainer)
    db_session.add(
        LearnerIdentity(
            user=pilot.learners[0],
            birth_name="Brûlé",
            first_names=["Élodie"],
            birth_date=dt.date(1991, 4, 2),
            sex=Sex.FEMALE,
            birth_commune_code="69123",
        )
    )
    db_session.commit()
    return pilot


def download(client: Any, enrolment_id: int | None = None) -> Any:
    url = "/me/attestation.pdf" + (f"?inscription={enrolment_id}" if enrolment_id else "")
    return client.get(url)


def test_pdf_lists_validated_blocs_and_code(
    client: Any, login: Any, validated: Pilot, db_session: Any
) -> None:
    login(validated.learners[0])
    response = download(client, validated.enrolments[0].id)
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    stored = db_session.scalars(sa.select(Attestation)).all()
    assert len(stored) == 1
    code = stored[0].code
    assert CODE.fullmatch(code)
    assert f'filename="attestation-{code}.pdf"' in response.headers["Content-Disposition"]
    text = pdf_text(response.data)
    assert code in text
    assert "BC01" in text and "Animer une coopération" in text and "12 mars 2026" in text
    assert "BC02" not in text and "BC03" not in text  # proposed or not: not validated
    assert "Élodie Brûlé-L’Hôte" in text  # the document's one apostrophe, data included
    assert "Certification d’essai" in text and "Niveau : 5" in text
    assert "Certification complète non obtenue" in text
    assert "http://localhost/verifier" in text
    assert_tagged(
        response.data,
        lang="fr",
        title="Attestation de blocs de compétences validés — Élodie Brûlé-L’Hôte",
    )
    event = db_session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "attestation.issue")
    ).one()
    assert event.object_id == stored[0].id and event.actor_id == validated.learners[0].id
    assert stored[0].content == {
        "format": 1,
        "learner_name": "Élodie Brûlé-L'Hôte",
        "certification": {
            "code": "MINI",
            "title": "Certification d'essai",
            "level": 5,
            "version": "v1",
            "certifier": "Organisme d'essai",
        },
        "blocs": [
            {
                "code": "BC01",
                "title": "Animer une coopération",
                "optional": False,
                "jury_date": "2026-03-12",
            }
        ],
        "certified_on": None,
    }


def test_the_english_attestation_is_tagged_in_english() -> None:
    data = AttestationData(
        code="ABCD-EFGH-JKMN-PQRS",
        issued_on=dt.date(2026, 3, 13),
        learner_name="Zoé N'Diaye",
        certification_code="MINI",
        certification_title="Certification d'essai",
        level=5,
        version_label="v1",
        certifier="Organisme d'essai",
        blocs=[ValidatedBloc("BC01", "Animer une coopération", dt.date(2026, 3, 12))],
        certified_on=None,
    )
    html = render_html("progress/pdf/attestation.html", "en", a=data, verify_url="http://x/v")
    assert "Zoé N’Diaye" in html and straight_apostrophes(html) == []
    pdf = render_attestation(data, "http://localhost/verifier", language="en")
    assert_tagged(pdf, lang="en")
    assert "Attestation of validated skills blocks" in pdf_text(pdf)


def test_full_certification_is_stated(
    client: Any, login: Any, validated: Pilot, db_session: Any, closed_jury: Any
) -> None:
    me = validated.enrolments[0]
    make_proposed(db_session, me, validated.bloc("BC02"), validated.trainer)
    closed_jury(validated, me, on=dt.date(2026, 6, 18), BC02=Decision.VALIDATED)
    login(validated.learners[0])
    text = pdf_text(download(client).data)
    assert "BC01" in text and "BC02" in text and "18 juin 2026" in text
    assert "Certification complète obtenue le 18 juin 2026" in text


def test_same_content_same_code_new_content_new_code(
    client: Any, login: Any, validated: Pilot, db_session: Any, closed_jury: Any
) -> None:
    login(validated.learners[0])
    download(client)
    download(client)
    codes = db_session.scalars(sa.select(Attestation.code)).all()
    assert len(codes) == 1
    me = validated.enrolments[0]
    make_proposed(db_session, me, validated.bloc("BC02"), validated.trainer)
    closed_jury(validated, me, on=dt.date(2026, 6, 18), BC02=Decision.VALIDATED)
    text = pdf_text(download(client).data)
    rows = db_session.scalars(sa.select(Attestation).order_by(Attestation.id)).all()
    assert len(rows) == 2 and rows[1].code != rows[0].code
    assert rows[1].code in text and rows[0].code not in text
    assert [b["code"] for b in rows[1].content["blocs"]] == ["BC01", "BC02"]


def test_no_validated_bloc_no_attestation(
    client: Any, login: Any, pilot: Pilot, db_session: Any
) -> None:
    make_proposed(db_session, pilot.enrolments[1], pilot.bloc("BC01"), pilot.trainer)
    login(pilot.learners[1])
    response = download(client)
    assert response.status_code == 302 and response.location == "/me"
    html = unescape(client.get("/me").get_data(as_text=True))
    assert "pas encore d'attestation" in html
    assert db_session.scalar(sa.select(sa.func.count(Attestation.id))) == 0


def test_someone_elses_enrolment_is_not_found(
    client: Any, login: Any, validated: Pilot, db_session: Any
) -> None:
    login(validated.learners[1])
    assert download(client, validated.enrolments[0].id).status_code == 404
    assert download(client, 999999).status_code == 404
    assert db_session.scalar(sa.select(sa.func.count(Attestation.id))) == 0


def issue(client: Any, login: Any, pilot: Pilot, db_session: Any) -> str:
    login(pilot.learners[0])
    assert download(client).status_code == 200
    return db_session.scalars(sa.select(Attestation.code)).one()


def test_verification_shows_only_what_the_attestation_states(
    client: Any, login: Any, validated: Pilot, db_session: Any
) -> None:
    code = issue(client, login, validated, db_session)
    client.post("/deconnexion")
    anonymous = client.application.test_client()
    response = anonymous.get(f"/verifier/{code}")
    assert response.status_code == 200
    assert response.headers["X-Robots-Tag"] == "noindex"
    html = unescape(response.get_data(as_text=True))
    main = html[html.index("<main") : html.index("</main>")]
    assert "Attestation authentique" in main and code in main
    assert "Élodie Brûlé-L'Hôte" in main
    assert "Certification d'essai" in main and "MINI" in main
    assert "BC01" in main and "Animer une coopération" in main and "12/03/2026" in main
    assert dt.date.today().strftime("%d/%m/%Y") in main  # issued today
    for private in (
        validated.learners[0].email,
        "1991",
        "02/04/1991",
        "69123",
        "Brûlé<",
        "Retour très personnel",
        "C1.1",
        "Acquis",
        "Promotion 2025",
        "Savoir Devenir",
        "Théo Formateur",
        "BC02",
    ):
        assert private not in main, private


def test_verification_survives_later_changes(
    client: Any, login: Any, validated: Pilot, db_session: Any, closed_jury: Any, grade: Any
) -> None:
    code = issue(client, login, validated, db_session)
    learner = validated.learners[0]
    learner.full_name = "Élodie Autrement"
    me = validated.enrolments[0]
    grade(me, [(criterion(validated, "C1.1.a"), level(validated, "NA"))], validated.trainer)
    make_proposed(db_session, me, validated.bloc("BC02"), validated.trainer)
    closed_jury(
        validated,
        me,
        on=dt.date(2026, 9, 1),
        BC01=(Decision.NOT_VALIDATED, "Révision après recours"),
        BC02=Decision.VALIDATED,
    )
    html = unescape(client.get(f"/verifier/{code}").get_data(as_text=True))
    main = html[html.index("<main") : html.index("</main>")]
    assert "Élodie Brûlé-L'Hôte" in main and "Autrement" not in main
    assert "BC01" in main and "BC02" not in main and "01/09/2026" not in main


@pytest.mark.parametrize(
    "typed",
    ["lower", "spaced", "no-hyphens", "typos"],
)
def test_verification_accepts_how_people_type_codes(
    client: Any, login: Any, validated: Pilot, db_session: Any, typed: str
) -> None:
    code = issue(client, login, validated, db_session)
    variants = {
        "lower": code.lower(),
        "spaced": " " + code.replace("-", " ") + " ",
        "no-hyphens": code.replace("-", ""),
        "typos": code.replace("0", "O").replace("1", "l"),
    }
    response = client.post("/verifier", data={"code": variants[typed]})
    assert response.status_code == 302 and response.location == f"/verifier/{code}"
    assert client.get(f"/verifier/{code.lower()}").location == f"/verifier/{code}"


def test_unknown_code_is_a_clear_404(client: Any) -> None:
    unknown = "ABCD-EFGH-JKMN-PQRS"
    response = client.get(f"/verifier/{unknown}")
    assert response.status_code == 404
    html = unescape(response.get_data(as_text=True))
    assert f"Aucune attestation ne porte le code « {unknown} »." in html
    assert f'value="{unknown}"' in html  # typed again easily
    malformed = client.get("/verifier/pas-un-code")
    assert malformed.status_code == 404
    assert "Aucune attestation ne porte le code « pas-un-code »." in unescape(
        malformed.get_data(as_text=True)
    )
    # The form leads there too for a well-formed unknown code.
    response = client.post("/verifier", data={"code": unknown.lower()})
    assert response.location == f"/verifier/{unknown}"


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Saisissez le code imprimé sur l'attestation."),
        ("ABCD-EFGH", "Ce code n'a pas la bonne forme"),
        ("ABCD-EFGH-JKMN-PQRU", "Ce code n'a pas la bonne forme"),  # U is not in the alphabet
        ("<script>alert(1)</script>", "Ce code n'a pas la bonne forme"),
    ],
)
def test_malformed_code_in_form(client: Any, typed: str, message: str) -> None:
    response = client.post("/verifier", data={"code": typed})
    assert response.status_code == 200
    html = unescape(response.get_data(as_text=True))
    assert message in html
    assert "<script>alert" not in response.get_data(as_text=True)


def test_verification_form_is_public_and_protected_by_csrf(app: Any, client: Any) -> None:
    assert client.get("/verifier").status_code == 200
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = client.post("/verifier", data={"code": "ABCD-EFGH-JKMN-PQRS"})
        assert response.status_code in (200, 400) and response.status_code != 302
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_codes_are_long_random_and_typable() -> None:
    codes = {new_code() for _ in range(500)}
    assert len(codes) == 500
    for code in codes:
        assert CODE.fullmatch(code)
        assert normalise_code(code) == code
    # 16 characters of a 32-letter alphabet: 80 bits, well above 60.
    assert len(CODE_ALPHABET) == 32 and len(code.replace("-", "")) * 5 >= 60
    assert normalise_code("abcd efgh jkmn pqrs") == "ABCD-EFGH-JKMN-PQRS"
    assert normalise_code("OOOO-IIII-LLLL-0000") == "0000-1111-1111-0000"
    for bad in (
        "",
        "ABCD",
        "ABCD-EFGH-JKMN-PQRS-TVWX",
        "ABCD-EFGH-JKMN-PQR!",
        "UUUU-UUUU-UUUU-UUUU",
    ):
        assert normalise_code(bad) is None


def test_the_verification_link_is_the_configured_site_not_the_requests_host(
    client: Any, login: Any, validated: Pilot, app: Any, monkeypatch: Any
) -> None:
    """The PDF leaves the site: its link names PUBLIC_URL, never the request's Host."""
    monkeypatch.setitem(app.config, "PUBLIC_URL", "https://certification.example.org/")
    login(validated.learners[0])
    response = download(client, validated.enrolments[0].id)  # asked of http://localhost
    assert response.status_code == 200
    text = pdf_text(response.data)
    assert "https://certification.example.org/verifier" in text
    assert "localhost" not in text


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.TRAINER, Role.JURY, Role.LEARNER])
def test_everyone_may_verify(
    client: Any, login: Any, create_user: Any, validated: Pilot, db_session: Any, role: Role
) -> None:
    code = issue(client, login, validated, db_session)
    login(create_user(role))
    assert client.get(f"/verifier/{code}").status_code == 200
    assert client.get("/verifier").status_code == 200

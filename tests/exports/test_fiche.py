"""The fiche: France Compétences flux v4.1 element names, round trip, reading real fiches, and
refusing hostile XML."""

from __future__ import annotations

import pytest
from lxml import etree

from exports.fiche import (
    JURY_ROUTES,
    Certifier,
    Code,
    Correspondence,
    FicheBloc,
    FicheData,
    FicheXMLError,
    JuryRoute,
    Partner,
    PromotionStats,
    Section,
    build_fiche,
    validation_errors,
)
from exports.fiche_reading import parse_fiches


def sample() -> FicheData:
    return FicheData(
        number="CTA",
        title="Animateur·rice de coopération territoriale",
        level=5,
        nsf=[Code("341", "Aménagement du territoire, développement, urbanisme"), Code("340")],
        rome=[Code("K1802", "Développement local")],
        formacodes=[Code("12523")],
        certifiers=[Certifier("Le Labo de l'ESS", "44789845200001")],
        activities=[
            Section("Animation de la gouvernance partagée", ["Préparer les instances", "Animer"]),
            Section("Coordination", ["Suivre les projets & les partenaires"]),
        ],
        capacities=[Section("Animer une coopération", ["Conduire une réunion"])],
        blocs=[
            FicheBloc(
                code="BC01",
                title="Animer la gouvernance d'une coopération",
                competencies=[
                    "Préparer une réunion afin de faciliter la décision collective",
                    "Arbitrer quand < 50 % des membres sont présents & décider",
                    "Utiliser des balises <b>HTML</b> sans qu'elles soient interprétées",
                ],
                modalities=["Mise en situation professionnelle : animation d'une instance"],
            ),
            FicheBloc(
                code="BC02",
                title="Coordonner les partenaires",
                competencies=["Cartographier les acteurs d'un territoire pour identifier…"],
                modalities=["Dossier + soutenance orale", "Étude de cas"],
            ),
        ],
        jury={
            "FC": JuryRoute(True, "Trois membres dont deux professionnels\nPrésidé par un pair"),
            "VAE": JuryRoute(True, ""),
        },
        statistics=[PromotionStats(2026, 14, 1), PromotionStats(2025, 12, 0, 83, 75, None)],
        correspondences=[
            Correspondence(
                "BC02", "RNCP34001", "Chargé de développement", "RNCP34001BC02", "Animer", False
            ),
            Correspondence("BC01", "RNCP29003", "Coordonnateur", "RNCP29003BC01", "Piloter", True),
        ],
    )


def registered() -> FicheData:
    """The sample once registered, with every field the fiche carries."""
    data = sample()
    data.number = "RNCP40123"
    data.level_label = "Niveau 5"
    for i, bloc in enumerate(data.blocs, start=1):
        bloc.code = f"RNCP40123BC{i:02d}"
    data.state = "Publiée"
    data.active = True
    data.objectives_context = "Les coopérations territoriales se multiplient.\nElles < 50 & plus."
    data.sectors = "Associations et SCIC\nCollectivités territoriales"
    data.job_types = "Animateur·rice de coopération\nCoordinateur·rice de PTCE"
    data.regulations = (
        "Aucune réglementation spécifique ne s’applique à l’exercice de ces activités."
    )
    data.entry_prerequisites = "Une expérience de deux ans dans l'animation de projets"
    data.validation_prerequisites = "Valider les quatre blocs obligatoires"
    data.partners = [
        Partner("Savoir Devenir", "52923713600005", "Habilitation pour former"),
        Partner("Coopérative du Sud", "", ""),
    ]
    return data


def test_every_field_reads_back_the_same() -> None:
    data = registered()
    content = build_fiche(data)
    assert validation_errors(content) == []
    (parsed,) = parse_fiches(content)
    parsed.jury = data.jury = {}
    parsed.statistics = sorted(parsed.statistics, key=lambda s: s.year)
    data.statistics = sorted(data.statistics, key=lambda s: s.year)
    assert parsed == data


def test_registered_fiche_elements_and_values() -> None:
    fiche = etree.fromstring(build_fiche(registered())).find("FICHE")
    assert fiche is not None
    assert fiche.findtext("NUMERO_FICHE") == "RNCP40123"
    assert [c.findtext("CODE") for c in fiche.iterfind("BLOCS_COMPETENCES/BLOC_COMPETENCES")] == [
        "RNCP40123BC01",
        "RNCP40123BC02",
    ]
    assert fiche.findtext("ETAT_FICHE") == "Publiée"
    assert fiche.findtext("ACTIF") == "Oui"
    assert fiche.findtext("EXISTENCE_PARTENAIRES") == "Oui"
    assert fiche.findtext("PARTENAIRES/PARTENAIRE/SIRET_PARTENAIRE") == "52923713600005"
    assert fiche.findtext("CODES_ROME/ROME/LIBELLE") == "Développement local"
    assert fiche.findtext("OBJECTIFS_CONTEXTE") == (
        "<p>Les coopérations territoriales se multiplient.</p><p>Elles &lt; 50 &amp; plus.</p>"
    )
    tags = [child.tag for child in fiche]
    order = [
        "NUMERO_FICHE",
        "ETAT_FICHE",
        "SECTEURS_ACTIVITE",
        "TYPE_EMPLOI_ACCESSIBLES",
        "CODES_ROME",
        "REGLEMENTATIONS_ACTIVITES",
        "CERTIFICATEURS",
        "EXISTENCE_PARTENAIRES",
        "PARTENAIRES",
        "SI_JURY_VAE",
        "OBJECTIFS_CONTEXTE",
        "ACTIF",
        "PREREQUIS_ENTREE_FORMATION",
        "PREREQUIS_VALIDATION_CERTIFICATION",
        "BLOCS_COMPETENCES",
    ]
    assert [tag for tag in tags if tag in order] == order


def test_the_schema_refuses_what_the_flux_would_not_carry() -> None:
    content = build_fiche(registered())
    broken = content.replace(
        b"    <ACTIF>Oui</ACTIF>\n    <PREREQUIS",
        b"    <ACTIF>Peut-\xc3\xaatre</ACTIF>\n    <PREREQUIS",
    )
    assert broken != content
    assert validation_errors(broken)
    moved = etree.fromstring(content)
    fiche = moved.find("FICHE")
    assert fiche is not None
    state = fiche.find("ETAT_FICHE")
    assert state is not None
    fiche.remove(state)
    fiche.append(state)  # out of order
    errors = validation_errors(etree.tostring(moved))
    assert errors and "ETAT_FICHE" in errors[0]


def test_no_partner_is_said_and_read_back() -> None:
    data = registered()
    data.partners = []
    (parsed,) = parse_fiches(build_fiche(data))
    assert parsed.partners == []
    data.partners = None
    (parsed,) = parse_fiches(build_fiche(data))
    assert parsed.partners is None


def test_round_trip_gives_the_same_blocs_and_competencies() -> None:
    data = sample()
    assert validation_errors(build_fiche(data)) == []
    (parsed,) = parse_fiches(build_fiche(data))
    assert parsed.blocs == data.blocs
    assert parsed.number == data.number
    assert parsed.title == data.title
    assert parsed.level == 5
    assert parsed.level_label == "Niveau 5"
    assert parsed.nsf == data.nsf
    assert parsed.rome == data.rome
    assert parsed.formacodes == data.formacodes
    assert parsed.certifiers == data.certifiers
    assert parsed.activities == data.activities
    assert parsed.capacities == data.capacities
    assert parsed.jury == {
        key: data.jury.get(key, JuryRoute(open=False)) for key in JURY_ROUTES
    } | {"FC": JuryRoute(True, "Trois membres dont deux professionnels\nPrésidé par un pair")}
    assert parsed.statistics == sorted(data.statistics, key=lambda s: s.year)
    assert parsed.correspondences == data.correspondences


def test_element_names_and_order_follow_the_flux() -> None:
    root = etree.fromstring(build_fiche(sample()))
    assert root.tag == "FICHES"
    assert [child.tag for child in root] == ["VERSION_FLUX", "FICHE"]
    assert root.findtext("VERSION_FLUX") == "4.1"
    fiche = root.find("FICHE")
    assert fiche is not None
    assert [child.tag for child in fiche] == [
        "NUMERO_FICHE",
        "INTITULE",
        "NOMENCLATURE_EUROPE",
        "ACTIVITES_VISEES",
        "CAPACITES_ATTESTEES",
        "CODES_ROME",
        "CODES_NSF",
        "FORMACODES",
        "CERTIFICATEURS",
        "SI_JURY_FI",
        "SI_JURY_CA",
        "SI_JURY_FC",
        "SI_JURY_CQ",
        "SI_JURY_CL",
        "SI_JURY_VAE",
        "BLOCS_COMPETENCES",
        "CORRESPONDANCES",
        "STATISTIQUES_PROMOTIONS",
    ]
    assert fiche.findtext("NOMENCLATURE_EUROPE/NIVEAU") == "NIV5"
    assert fiche.findtext("CODES_NSF/NSF/CODE") == "341"
    assert fiche.findtext("CERTIFICATEURS/CERTIFICATEUR/SIRET_CERTIFICATEUR") == "44789845200001"
    assert fiche.findtext("SI_JURY_FI/ACTIF") == "Non"
    assert fiche.find("SI_JURY_FI/COMPOSITION") is None
    assert fiche.findtext("SI_JURY_FC/ACTIF") == "Oui"
    bloc = fiche.find("BLOCS_COMPETENCES/BLOC_COMPETENCES")
    assert bloc is not None
    assert [child.tag for child in bloc] == [
        "CODE",
        "LIBELLE",
        "LISTE_COMPETENCES",
        "MODALITES_EVALUATION",
    ]
    # The lists are HTML fragments carried as text, as in the national flux.
    competencies = bloc.findtext("LISTE_COMPETENCES") or ""
    assert competencies.startswith("<ul><li>Préparer une réunion")
    assert "&lt;b&gt;HTML&lt;/b&gt;" in competencies
    stats = fiche.findall("STATISTIQUES_PROMOTIONS/STATISTIQUES_PROMOTION")
    assert [s.findtext("ANNEE") for s in stats] == ["2025", "2026"]
    assert stats[0].findtext("TAUX_INSERTION_GLOBAL_6MOIS") == "83"


REAL_SHAPED = """<?xml version="1.0" encoding="UTF-8"?>
<FICHES>
  <VERSION_FLUX>4.1</VERSION_FLUX>
  <FICHE>
    <ID_FICHE>41104</ID_FICHE>
    <NUMERO_FICHE>RNCP41104</NUMERO_FICHE>
    <INTITULE>Responsable de projet de territoires   en transition</INTITULE>
    <ETAT_FICHE>Publiée</ETAT_FICHE>
    <NOMENCLATURE_EUROPE><NIVEAU>NIV6</NIVEAU><LIBELLE>Niveau 6</LIBELLE></NOMENCLATURE_EUROPE>
    <CODES_NSF><NSF><CODE>341</CODE><LIBELLE>Aménagement du territoire</LIBELLE></NSF></CODES_NSF>
    <CODES_ROME><ROME><CODE>K1802</CODE><LIBELLE>Développement local</LIBELLE></ROME></CODES_ROME>
    <CERTIFICATEURS><CERTIFICATEUR><SIRET_CERTIFICATEUR>11111111100011</SIRET_CERTIFICATEUR>
      <NOM_CERTIFICATEUR>ORG A</NOM_CERTIFICATEUR></CERTIFICATEUR></CERTIFICATEURS>
    <ACTIVITES_VISEES>&lt;p&gt;Le responsable :&lt;/p&gt;
      &lt;ul&gt;&lt;li&gt;diagnostique le territoire&lt;/li&gt;
      &lt;li&gt;conduit des projets&lt;/li&gt;&lt;/ul&gt;</ACTIVITES_VISEES>
    <SI_JURY_FI><ACTIF>Non</ACTIF></SI_JURY_FI>
    <SI_JURY_FC><ACTIF>Oui</ACTIF>
      <COMPOSITION>&lt;p&gt;Jury FC composition&amp;nbsp;: 3 membres&lt;/p&gt;</COMPOSITION>
    </SI_JURY_FC>
    <SI_JURY_VAE>Oui</SI_JURY_VAE>
    <JURY_VAE>Jury VAE composition</JURY_VAE>
    <BLOCS_COMPETENCES>
      <BLOC_COMPETENCES>
        <CODE>RNCP41104BC01</CODE>
        <LIBELLE>Diagnostiquer un territoire</LIBELLE>
        <LISTE_COMPETENCES>&lt;p&gt;&lt;strong&gt;Compétences&lt;/strong&gt;&lt;/p&gt;
          &lt;ul&gt;&lt;li&gt;Collecter les données du territoire&lt;/li&gt;
          &lt;li&gt;Analyser les besoins &amp;amp; les ressources&lt;/li&gt;&lt;/ul&gt;
        </LISTE_COMPETENCES>
        <MODALITES_EVALUATION>&lt;p&gt;Étude de cas&lt;/p&gt;
          &lt;p&gt;Soutenance orale&lt;/p&gt;</MODALITES_EVALUATION>
      </BLOC_COMPETENCES>
      <BLOC_COMPETENCES>
        <CODE>RNCP41104BC02</CODE>
        <INTITULE>Conduire un projet</INTITULE>
        <LISTE_COMPETENCES>- Planifier le projet
- Animer les partenaires
- Évaluer les résultats</LISTE_COMPETENCES>
        <MODALITES_EVALUATION><![CDATA[<ul><li>Mise en situation</li></ul>]]></MODALITES_EVALUATION>
      </BLOC_COMPETENCES>
    </BLOCS_COMPETENCES>
    <STATISTIQUES_PROMOTIONS>
      <STATISTIQUES_PROMOTION><ANNEE>2020</ANNEE><NOMBRE_CERTIFIES>10</NOMBRE_CERTIFIES>
        <NOMBRE_CERTIFIES_VAE>2</NOMBRE_CERTIFIES_VAE>
        <TAUX_INSERTION_GLOBAL_6MOIS>85</TAUX_INSERTION_GLOBAL_6MOIS>
        <TAUX_INSERTION_METIER_2ANS>70,4</TAUX_INSERTION_METIER_2ANS></STATISTIQUES_PROMOTION>
    </STATISTIQUES_PROMOTIONS>
  </FICHE>
  <FICHE><NUMERO_FICHE>RNCP99999</NUMERO_FICHE><INTITULE>Autre</INTITULE></FICHE>
</FICHES>
"""


def test_reads_a_fiche_in_the_shape_of_the_national_flux() -> None:
    first, other = parse_fiches(REAL_SHAPED.encode())
    assert first.number == "RNCP41104"
    assert first.title == "Responsable de projet de territoires en transition"
    assert (first.level, first.level_label) == (6, "Niveau 6")
    assert first.nsf == [Code("341", "Aménagement du territoire")]
    assert first.rome == [Code("K1802", "Développement local")]
    assert first.certifiers == [Certifier("ORG A", "11111111100011")]
    assert first.activities == [
        Section("Le responsable :", ["diagnostique le territoire", "conduit des projets"])
    ]
    one, two = first.blocs
    assert (one.code, one.title) == ("RNCP41104BC01", "Diagnostiquer un territoire")
    assert one.competencies == [
        "Collecter les données du territoire",
        "Analyser les besoins & les ressources",
    ]
    assert one.modalities == ["Étude de cas", "Soutenance orale"]
    assert (two.code, two.title) == ("RNCP41104BC02", "Conduire un projet")
    assert two.competencies == [
        "Planifier le projet",
        "Animer les partenaires",
        "Évaluer les résultats",
    ]
    assert two.modalities == ["Mise en situation"]
    assert first.jury["FI"] == JuryRoute(False, "")
    assert first.jury["FC"] == JuryRoute(True, "Jury FC composition : 3 membres")
    assert first.jury["VAE"] == JuryRoute(True, "Jury VAE composition")
    assert "CA" not in first.jury
    assert first.statistics == [PromotionStats(2020, 10, 2, 85, None, 70)]
    assert (other.number, other.blocs, other.level) == ("RNCP99999", [], None)


def test_reads_only_the_fiches_asked_for() -> None:
    (fiche,) = parse_fiches(REAL_SHAPED.encode(), numbers={"RNCP99999"})
    assert fiche.title == "Autre"
    assert parse_fiches(REAL_SHAPED.encode(), numbers=set()) == []


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE FICHES [
  <!ENTITY lol "lol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<FICHES><FICHE><NUMERO_FICHE>X</NUMERO_FICHE><INTITULE>&lol4;</INTITULE></FICHE></FICHES>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE FICHES [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<FICHES><FICHE><NUMERO_FICHE>X</NUMERO_FICHE><INTITULE>&secret;</INTITULE></FICHE></FICHES>"""

EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE FICHES SYSTEM "http://127.0.0.1:9/fiches.dtd">
<FICHES><FICHE><NUMERO_FICHE>X</NUMERO_FICHE></FICHE></FICHES>"""

PARAMETER_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE FICHES [<!ENTITY % remote SYSTEM "http://127.0.0.1:9/evil.dtd"> %remote;]>
<FICHES><FICHE><NUMERO_FICHE>X</NUMERO_FICHE></FICHE></FICHES>"""

UNDECLARED_ENTITY = b"""<FICHES><FICHE><NUMERO_FICHE>&nope;</NUMERO_FICHE></FICHE></FICHES>"""

ATTRIBUTE_BOMB = (
    b'<?xml version="1.0"?><!DOCTYPE FICHES [<!ENTITY a0 "'
    + b"x" * 100
    + b'">'
    + b"".join(f'<!ENTITY a{i} "{f"&a{i - 1};" * 10}">'.encode() for i in range(1, 10))
    + b']><FICHES x="&a9;"><FICHE/></FICHES>'
)

TOO_DEEP = b"<FICHES><FICHE>" + b"<A>" * 5000 + b"x" + b"</A>" * 5000 + b"</FICHE></FICHES>"


@pytest.mark.parametrize(
    "document",
    [
        BILLION_LAUGHS,
        ATTRIBUTE_BOMB,
        EXTERNAL_ENTITY,
        EXTERNAL_DTD,
        PARAMETER_ENTITY,
        UNDECLARED_ENTITY,
        TOO_DEEP,
    ],
    ids=[
        "billion-laughs",
        "attribute-bomb",
        "external-entity",
        "external-dtd",
        "parameter-entity",
        "undeclared",
        "too-deep",
    ],
)
def test_hostile_xml_is_refused(document: bytes) -> None:
    with pytest.raises(FicheXMLError):
        parse_fiches(document)


@pytest.mark.parametrize(
    "document",
    [b"", b"<FICHES><FICHE>", b"<html><body>Pas une fiche</body></html>", b"not xml at all"],
    ids=["empty", "truncated", "other-root", "text"],
)
def test_what_is_not_a_fiche_flux_is_refused(document: bytes) -> None:
    with pytest.raises(FicheXMLError):
        parse_fiches(document)


def test_text_that_xml_cannot_hold_is_dropped_when_writing() -> None:
    data = FicheData(
        number="CTA",
        title="Titre\x01 avec un caractère de contrôle",
        blocs=[FicheBloc("BC01", "Bloc", ["Compétence\x0c une"], [])],
    )
    (parsed,) = parse_fiches(build_fiche(data))
    assert parsed.title == "Titre avec un caractère de contrôle"
    assert parsed.blocs[0].competencies == ["Compétence une"]

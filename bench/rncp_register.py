"""A national register in the official open-data shape, made up, at any size.

    .venv/bin/python bench/rncp_register.py -o /tmp/register.zip --fiches 40000
    .venv/bin/python bench/rncp_register.py -o /tmp/register-2.zip --fiches 40000 --edition 2

No real export can be fetched here, so the benchmark and the tests read this instead: a ZIP
holding one `export-fiches-rncp-v4-1-<date>.xml` with `FICHES`, `VERSION_FLUX` and one `FICHE`
per certification, long texts as HTML fragments carried as escaped text, as France
Compétences publishes them. French sentences are built from a vocabulary per sector, so word
frequencies look like the register's (many rare words, a few stock phrases everywhere).

The same seed gives the same register. `--edition 2` gives the next day's export of it: about
1 % of the fiches changed, 0.5 % withdrawn (absent), 0.5 % new, some made inactive.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import zipfile
from collections.abc import Iterator
from html import escape
from pathlib import Path

from lxml import etree

VERBS = [
    "Concevoir",
    "Piloter",
    "Animer",
    "Analyser",
    "Élaborer",
    "Mettre en œuvre",
    "Évaluer",
    "Coordonner",
    "Accompagner",
    "Gérer",
    "Organiser",
    "Assurer",
    "Développer",
    "Conduire",
    "Réaliser",
    "Contrôler",
    "Diagnostiquer",
    "Rédiger",
    "Négocier",
    "Encadrer",
    "Planifier",
    "Préparer",
    "Identifier",
    "Superviser",
    "Installer",
    "Entretenir",
    "Programmer",
    "Vérifier",
    "Formaliser",
    "Présenter",
    "Conseiller",
    "Sécuriser",
    "Optimiser",
    "Déployer",
    "Mobiliser",
]
SECTORS: dict[str, list[str]] = {
    "restauration": [
        "la production culinaire",
        "les fiches techniques de recettes",
        "le service en salle",
        "les approvisionnements en denrées",
        "la chaîne du froid",
        "les allergènes",
        "le plan de maîtrise sanitaire",
        "la carte des mets",
        "le dressage des assiettes",
    ],
    "bâtiment": [
        "le chantier de gros œuvre",
        "les ouvrages de maçonnerie",
        "les plans d'exécution",
        "l'étanchéité des toitures",
        "les réseaux de plomberie",
        "le métré des ouvrages",
        "la réhabilitation thermique",
        "les échafaudages",
        "les installations électriques",
    ],
    "gestion": [
        "la comptabilité générale",
        "les déclarations fiscales",
        "la trésorerie",
        "le contrôle de gestion",
        "les tableaux de bord financiers",
        "la paie des salariés",
        "le budget prévisionnel",
        "les immobilisations",
        "la clôture des comptes annuels",
    ],
    "informatique": [
        "une application web",
        "une base de données relationnelle",
        "l'infrastructure réseau",
        "les sauvegardes du système d'information",
        "une interface de programmation",
        "les tests automatisés",
        "la cybersécurité des postes",
        "un environnement cloud",
        "le support aux utilisateurs",
    ],
    "santé": [
        "les soins d'hygiène et de confort",
        "le dossier de soins",
        "l'accueil des patients",
        "la prévention des infections",
        "les transmissions ciblées",
        "l'aide aux repas",
        "les gestes d'urgence",
        "l'accompagnement de fin de vie",
        "le circuit du médicament",
    ],
    "logistique": [
        "les flux de marchandises",
        "le stockage en entrepôt",
        "les expéditions",
        "les inventaires physiques",
        "la préparation de commandes",
        "le transport routier",
        "les engins de manutention",
        "la traçabilité des lots",
        "les réclamations clients",
    ],
    "commerce": [
        "la relation client",
        "l'argumentaire de vente",
        "le merchandising du rayon",
        "la prospection commerciale",
        "le portefeuille clients",
        "les négociations tarifaires",
        "la vente en ligne",
        "la fidélisation de la clientèle",
        "les objectifs commerciaux",
    ],
    "animation": [
        "un projet d'animation socioculturelle",
        "les activités de loisirs éducatifs",
        "la vie associative locale",
        "les partenariats avec les collectivités",
        "la participation des habitants",
        "un accueil collectif de mineurs",
        "les ressources du territoire",
        "la médiation culturelle",
        "l'éducation populaire",
    ],
    "agriculture": [
        "les cultures maraîchères",
        "le troupeau laitier",
        "la conduite des engins agricoles",
        "la fertilisation des sols",
        "la commercialisation en circuits courts",
        "l'entretien des haies",
        "la certification biologique",
        "l'irrigation des parcelles",
        "la transformation fromagère",
    ],
    "industrie": [
        "une ligne de production automatisée",
        "la maintenance préventive des équipements",
        "les réglages des machines-outils",
        "le contrôle qualité des pièces",
        "les procédés d'usinage",
        "la soudure des assemblages",
        "les consignes de sécurité",
        "l'amélioration continue",
        "la gestion de production assistée par ordinateur",
    ],
}
PURPOSES = [
    "afin de répondre aux besoins des usagers",
    "en vue de garantir la qualité du service",
    "afin d'assurer la continuité de l'activité",
    "pour optimiser les coûts et les délais",
    "afin de satisfaire les exigences du client",
    "pour contribuer à la performance de la structure",
    "afin de prévenir les risques professionnels",
    "en vue d'adapter l'offre aux évolutions du marché",
    "afin de favoriser la transition écologique et sociale",
    "pour sécuriser les parcours",
    "afin de rendre compte aux financeurs",
    "pour améliorer les conditions de travail",
]
CONDITIONS = [
    "dans le respect de la réglementation en vigueur",
    "en tenant compte des contraintes budgétaires",
    "en mobilisant les outils numériques adaptés",
    "dans le respect des règles d'hygiène, de santé et de sécurité au travail",
    "en intégrant les enjeux de la transition écologique et sociale",
    "en prenant en compte les situations de handicap",
    "en lien avec les équipes pluridisciplinaires",
    "selon les procédures de l'entreprise",
]
MODALITIES = [
    "Mise en situation professionnelle reconstituée",
    "Étude de cas écrite",
    "Dossier professionnel et soutenance orale devant le jury",
    "Épreuve pratique chronométrée",
    "Entretien technique avec le jury",
    "Questionnaire professionnel",
    "Évaluation en situation réelle de travail",
    "Présentation d'un projet réalisé en entreprise",
]
JOBS = ["Chargé", "Responsable", "Technicien", "Assistant", "Conseiller", "Agent", "Manager"]
ROME_LETTERS = "ABCDEFGHIJKLMN"
STATES = ["Publiée", "Publiée", "Publiée", "Publiée", "Archivée"]


SYLLABLES = [
    "bi",
    "co",
    "dé",
    "fa",
    "gra",
    "lo",
    "mé",
    "no",
    "pra",
    "ri",
    "sa",
    "té",
    "tro",
    "vé",
    "xy",
    "al",
    "en",
    "or",
    "ul",
    "im",
    "thé",
    "phy",
    "chro",
    "gé",
    "ma",
    "ni",
    "po",
    "qua",
    "zo",
]
ENDINGS = ["tion", "age", "ique", "ure", "ment", "isme", "erie", "ance"]


QUALIFIERS = [
    "à partir des données de",
    "en s'appuyant sur",
    "au moyen de",
    "dans le cadre de",
    "selon les exigences de",
]


def _terms(rng: random.Random, count: int) -> list[str]:
    """Technical words of one fiche: the register's long tail of rare words."""
    return [
        "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))) + rng.choice(ENDINGS)
        for _ in range(count)
    ]


def _sentence(
    rng: random.Random, nouns: list[str], other: list[str], terms: list[str] | None = None
) -> str:
    words = [rng.choice(VERBS), rng.choice(nouns)]
    if terms and rng.random() < 0.7:
        words += [rng.choice(["de", "par", "pour la", "en"]), rng.choice(terms)]
    if rng.random() < 0.4:
        words += ["et", rng.choice(other)]
    if terms and rng.random() < 0.5:
        words += [rng.choice(QUALIFIERS), rng.choice(terms)]
    if rng.random() < 0.5:
        words.append(rng.choice(PURPOSES))
    if rng.random() < 0.25:
        words.append(rng.choice(CONDITIONS))
    return " ".join(words)


def _html_list(items: list[str], style: int) -> str:
    if style == 0:
        return "<ul>" + "".join(f"<li>{escape(i, quote=False)}</li>" for i in items) + "</ul>"
    if style == 1:
        return "<p>" + "<br/>".join(f"- {escape(i, quote=False)}" for i in items) + "</p>"
    return "".join(f"<p>{escape(i, quote=False)}</p>" for i in items)


def _sub(parent: etree._Element, tag: str, text: str | None = None) -> etree._Element:
    element = etree.SubElement(parent, tag)
    if text is not None:
        element.text = text
    return element


def _fiche(number: int, edition: int, seed: int) -> etree._Element | None:
    """Fiche number `number` as exported in `edition` (None when absent from that export)."""
    rng = random.Random(seed * 1_000_003 + number)
    fate = rng.random()  # decides what happens to this fiche between editions 1 and 2
    if edition == 1 and fate < 0.005:
        return None  # new in edition 2
    if edition == 2 and 0.005 <= fate < 0.01:
        return None  # withdrawn from edition 2
    changed = edition == 2 and 0.01 <= fate < 0.02
    sector = rng.choice(list(SECTORS))
    nouns = SECTORS[sector]
    other = SECTORS[rng.choice(list(SECTORS))]
    terms = _terms(rng, 10)
    level = rng.choice([3, 4, 5, 5, 6, 6, 7])
    active = rng.random() > 0.35 and not (edition == 2 and 0.02 <= fate < 0.025)
    job = f"{rng.choice(JOBS)} {rng.choice(['de', 'en'])} {sector}"
    fiche = etree.Element("FICHE")
    _sub(fiche, "ID_FICHE", str(number))
    code = f"RNCP{number}"
    _sub(fiche, "NUMERO_FICHE", code)
    title = f"{job} — {rng.choice(nouns).split(' ', 1)[-1]}"
    if changed:
        title += " (option rénovée)"
    _sub(fiche, "INTITULE", title)
    _sub(fiche, "ETAT_FICHE", rng.choice(STATES) if active else "Archivée")
    _sub(fiche, "ACTIF", "Oui" if active else "Non")
    end = dt.date(2020, 1, 1) + dt.timedelta(days=rng.randrange(0, 3650))
    _sub(fiche, "DATE_FIN_ENREGISTREMENT", end.strftime("%d/%m/%Y"))
    europe = _sub(fiche, "NOMENCLATURE_EUROPE")
    _sub(europe, "NIVEAU", f"NIV{level}")
    _sub(europe, "INTITULE", f"Niveau {level}")
    nsf = _sub(fiche, "CODES_NSF")
    for _ in range(rng.randint(1, 2)):
        entry = _sub(nsf, "NSF")
        _sub(entry, "CODE", f"{rng.randint(100, 344)}{rng.choice('mnprstuvw')}")
        _sub(entry, "INTITULE", f"Spécialité {sector}")
    formacodes = _sub(fiche, "FORMACODES")
    for _ in range(rng.randint(1, 3)):
        entry = _sub(formacodes, "FORMACODE")
        _sub(entry, "CODE", f"{rng.randint(10000, 46999)}")
        _sub(entry, "INTITULE", f"{rng.choice(nouns).split(' ', 1)[-1]}")
    blocs = _sub(fiche, "BLOCS_COMPETENCES")
    all_competencies = []
    for index in range(1, rng.randint(2, 6) + 1):
        bloc = _sub(blocs, "BLOC_COMPETENCES")
        _sub(bloc, "CODE", f"{code}BC{index:02d}")
        _sub(bloc, "LIBELLE", f"{rng.choice(VERBS)} {rng.choice(nouns)}")
        competencies = [_sentence(rng, nouns, other, terms) for _ in range(rng.randint(3, 8))]
        if changed and index == 1:
            competencies[0] = _sentence(rng, other, nouns)
        all_competencies += competencies
        _sub(bloc, "LISTE_COMPETENCES", _html_list(competencies, rng.randrange(3)))
        _sub(bloc, "MODALITES_EVALUATION", _html_list(rng.sample(MODALITIES, 2), 0))
    certifiers = _sub(fiche, "CERTIFICATEURS")
    entry = _sub(certifiers, "CERTIFICATEUR")
    _sub(entry, "SIRET_CERTIFICATEUR", f"{rng.randrange(10**13, 10**14)}")
    _sub(entry, "NOM_CERTIFICATEUR", f"Organisme certificateur {number % 997}")
    activities = [_sentence(rng, nouns, other, terms) for _ in range(rng.randint(4, 12))]
    _sub(
        fiche,
        "ACTIVITES_VISEES",
        f"<p>Le titulaire exerce les activités suivantes :</p>{_html_list(activities, 0)}",
    )
    _sub(fiche, "CAPACITES_ATTESTEES", _html_list(all_competencies[:6], 0))
    _sub(fiche, "SECTEURS_ACTIVITE", f"<p>Entreprises et structures du secteur {sector}.</p>")
    _sub(fiche, "TYPE_EMPLOI_ACCESSIBLES", f"<p>{job}, adjoint·e {sector}.</p>")
    rome = _sub(fiche, "CODES_ROME")
    for _ in range(rng.randint(1, 4)):
        entry = _sub(rome, "ROME")
        _sub(entry, "CODE", f"{rng.choice(ROME_LETTERS)}{rng.randint(1101, 1999)}")
        _sub(entry, "LIBELLE", f"{job}")
    _sub(fiche, "REGLEMENTATIONS_ACTIVITES", "<p>Aucune réglementation spécifique.</p>")
    return fiche


def fiches(count: int, *, edition: int = 1, seed: int = 2026) -> Iterator[etree._Element]:
    """The fiches of one export, in number order (count fiches in edition 1, about as many in 2)."""
    for number in range(30000, 30000 + count):
        fiche = _fiche(number, edition, seed)
        if fiche is not None:
            yield fiche


def write_register(
    path: Path, count: int, *, edition: int = 1, seed: int = 2026, zipped: bool = True
) -> Path:
    """Write a register export to `path` (a ZIP, or a bare XML when `zipped` is false)."""
    day = dt.date(2026, 11, 1) + dt.timedelta(days=edition - 1)
    member = f"export-fiches-rncp-v4-1-{day.isoformat()}.xml"

    def write(stream: object) -> None:
        with etree.xmlfile(stream, encoding="UTF-8") as xf:
            xf.write_declaration()
            with xf.element("FICHES"):
                xf.write(_text_element("VERSION_FLUX", "4.1"))
                for fiche in fiches(count, edition=edition, seed=seed):
                    xf.write(fiche)

    if zipped:
        with (
            zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive,
            archive.open(member, "w", force_zip64=True) as stream,
        ):
            write(stream)
    else:
        with path.open("wb") as stream:
            write(stream)
    return path


def _text_element(tag: str, text: str) -> etree._Element:
    element = etree.Element(tag)
    element.text = text
    return element


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-o", "--output", type=Path, required=True)
    parser.add_argument("--fiches", type=int, default=40_000)
    parser.add_argument("--edition", type=int, choices=(1, 2), default=1)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--xml", action="store_true", help="write the bare XML, not a ZIP")
    args = parser.parse_args()
    write_register(
        args.output, args.fiches, edition=args.edition, seed=args.seed, zipped=not args.xml
    )
    print(args.output, args.output.stat().st_size, "bytes")


if __name__ == "__main__":
    main()

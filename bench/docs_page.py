"""docs/benchmarks.md, written from bench/results.json by `make bench` (never by hand)."""

from __future__ import annotations

from typing import Any

COLUMNS = (
    ("median_ms", "médiane ms"),
    ("p95_ms", "p95 ms"),
    ("queries", "SQL"),
    ("sql_ms", "SQL ms"),
    ("floor_median_ms", "plancher ms"),
    ("ratio_to_floor", "× plancher"),
)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def _measures(entry: dict[str, Any]) -> list[str]:
    lines = [
        "| mesure | " + " | ".join(title for _key, title in COLUMNS) + " | cible |",
        "|---|" + "---:|" * len(COLUMNS) + "---|",
    ]
    for name, m in entry["measures"].items():
        target = m.get("target") or {}
        verdict = ""
        if "meets_target" in m:
            verdict = f"{target.get('median_ms')} ms : " + (
                "tenue" if m["meets_target"] else "MANQUÉE"
            )
        cells = " | ".join(_cell(m.get(key)) for key, _title in COLUMNS)
        lines.append(f"| {name} | {cells} | {verdict} |")
    save = entry["measures"].get("grid_save", {})
    if "write_floor_median_ms" in save:
        imported = entry["measures"].get("grid_import", {})
        lines += [
            "",
            f"Plancher d'écriture d'une grille 30 × 60 (mêmes lignes ajoutées et têtes mises à "
            f"jour par le pilote, SQL écrit à la main, {save.get('write_floor_statements')} "
            f"requêtes et le commit) : {save['write_floor_median_ms']:.1f} ms ; "
            f"l'enregistrement de la grille en prend ×{save['ratio_to_write_floor']}, "
            f"l'import hors ligne ×{imported.get('ratio_to_write_floor')}.",
        ]
    notes = []
    for name in ("dossier_pdf", "dossier_pdf_long"):
        m = entry["measures"].get(name)
        if m and "pages" in m:
            notes.append(
                f"`{name}` : {m['pages']} pages ({m.get('cohorts')} promotions pilotes, "
                f"{m.get('learners')} apprenant·es) en {m['median_ms']:.0f} ms, soit "
                f"{m.get('ms_per_page', m['median_ms'] / max(m['pages'], 1)):.0f} ms par page, "
                f"{m.get('peak_mb', 0):.0f} Mo au plus."
            )
    readiness = entry["measures"].get("readiness_check")
    if readiness and "promotions" in readiness:
        notes.append(
            f"`readiness_check` : {readiness.get('version')}, {readiness['promotions']} "
            f"promotions de la certification, {readiness.get('certified_people')} certifié·es."
        )
    if notes:
        lines += ["", *(f"- {note}" for note in notes)]
    return lines


REGISTRY_ROWS = (  # (label, value, target key, unit)
    ("import", lambda e: e["import"]["seconds"], "import_s", "s"),
    ("mémoire au plus (import)", lambda e: e["import"]["peak_mb"], "import_peak_mb", "Mo"),
    ("réimport du même fichier", lambda e: e["reimport_same"]["seconds"], "reimport_s", "s"),
    ("export du lendemain", lambda e: e["reimport_next_day"]["seconds"], "reimport_s", "s"),
    ("recherche (pire médiane)", lambda e: e["search_worst_median_ms"], "search_ms", "ms"),
    (
        "contrôle de copie d'une version",
        lambda e: e["copy_check"]["median_ms"],
        "copy_check_ms",
        "ms",
    ),
    (
        "contrôle de copie des deux versions livrées",
        lambda e: e["copy_check_all"]["median_ms"],
        "copy_check_ms",
        "ms",
    ),
    (
        "correspondances d'un bloc",
        lambda e: e["correspondence"]["median_ms"],
        "correspondence_ms",
        "ms",
    ),
)


def _registry(registry: dict[str, Any]) -> list[str]:
    """The national register's benchmark (bench/registry.py), one column per engine."""
    engines = sorted(registry)
    out = [
        "## Répertoire national (bench/registry.py)",
        "",
        "Import d'un répertoire généré à la forme officielle (bench/rncp_register.py) dans une "
        "base vide, puis du même fichier, puis de l'export du lendemain ; médianes des lectures "
        "sur les exécutions.",
        "",
    ]
    for engine in engines:
        e = registry[engine]
        load = ", ".join(f"{x:.2f}" for x in e.get("load_average", []))
        both = e.get("copy_check_all")
        out.append(
            f"- {engine} : {e['fiches']} fiches ({e.get('file_mb')} Mo compressés), "
            f"{e.get('cores')} cœurs, charge {load} ; commit {e.get('commit')}, "
            f"{e.get('measured_at', '')[:16]} UTC ; contrôle de copie de "
            f"{e['copy_check']['version']} ({e['copy_check']['statements']} énoncés"
            + (f", les deux versions : {both['statements']}" if both else "")
            + f") ; correspondances de {e['correspondence']['bloc']}."
        )
    out += [
        "",
        "| mesure | " + " | ".join(engines) + " | cible |",
        "|---|" + "---:|" * len(engines) + "---|",
    ]
    for label, value, key, unit in REGISTRY_ROWS:
        cells, missed = [], []
        limit = registry[engines[0]].get("targets", {}).get(key)
        for engine in engines:
            try:
                v = value(registry[engine])
            except KeyError:
                cells.append("")
                continue
            cells.append(_cell(float(v)))
            if limit is not None and v > limit:
                missed.append(engine)
        verdict = ""
        if limit is not None and any(cells):
            verdict = f"{limit} {unit} : " + (
                f"MANQUÉE ({', '.join(missed)})" if missed else "tenue"
            )
        out.append(f"| {label} ({unit}) | " + " | ".join(cells) + f" | {verdict} |")
    out.append("")
    return out


def benchmarks_page(results: dict[str, Any]) -> str:
    """The page: one section per engine and size, then the load tests (bench/load.py)."""
    out = [
        "# Mesures de performance",
        "",
        "Écrit par `make bench` (bench/run.py) à partir de `bench/results.json` : ne pas modifier "
        "à la main. Temps serveur par le client de test de Flask (sans réseau), médiane et 95e "
        "centile sur les exécutions, nombre de requêtes SQL d'une exécution ; le plancher est la "
        "même donnée lue (ou écrite) par le pilote avec le moins de SQL écrit à la main. La "
        "machine est partagée : la charge au moment de la mesure est indiquée.",
        "",
        "    make bench                                    # SQLite, volumes de la démo",
        "    DATABASE_URL=postgresql+psycopg://… make bench  # PostgreSQL",
        "    BENCH_SIZE=large make bench                   # 10 000 apprenant·es",
        "",
    ]
    for _key, entry in sorted(results.items()):
        if "measures" not in entry:
            continue
        load = ", ".join(f"{x:.2f}" for x in entry.get("load_average", []))
        data = entry.get("data", {})
        out += [
            f"## {entry['engine']}, {entry['size']}",
            "",
            f"{data.get('learners')} apprenant·es, {data.get('cohorts')} promotions, "
            f"{data.get('results')} résultats ; {entry.get('cores')} cœurs, charge {load} ; "
            f"commit {entry.get('commit')}, {entry.get('measured_at', '')[:16]} UTC, "
            f"{entry.get('runs')} exécutions.",
            "",
            *_measures(entry),
            "",
        ]
    if results.get("registry"):
        out += _registry(results["registry"])
    loads = [(k, e) for k, e in sorted(results.items()) if k.startswith("load-")]
    if loads:
        out += ["## Charge HTTP (bench/load.py)", ""]
        out += [f"- `{k}` : voir `bench/results.json`." for k, _e in loads]
        out.append("")
    return "\n".join(out)

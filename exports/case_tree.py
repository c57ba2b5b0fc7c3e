"""A CASE package (read by exports/case_import.py) mapped onto a référentiel document.

`to_document()` returns a document in the format of referentiel/schema.json (stored by
app/frameworks/services.import_document), with the list of what it could not place. Items are
placed from the CFDocument down along `isChildOf` associations: under the document, domains
and blocs; under a domain, activities; under a bloc, evaluation modalities and competencies;
under a competency, criteria. An item's kind is its CFItemType when it names one of ours (as
our own export does), otherwise its depth: bloc, competency, criterion. An item that fits
nowhere (deeper than a criterion, a type that does not fit its parent, attached to nothing or
only to another framework) is not placed, nor are its descendants; each is listed in plain
French with its JSON path. `isRelatedTo` between a competency and an activity links them, as
it does a criterion to a modality of its bloc (the modality evaluates it: kept only when every
criterion has one, as the format asks); other associations are counted and left aside. Codes,
texts and metadata are held to the référentiel's format (codes of 40 characters, titles of
300…), and each change is noted.

Pure functions: no Flask, no database.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from exports import case_header
from exports import case_values as cv
from exports.case import EXTENSION, ITEM_TYPES
from exports.case_import import Package
from exports.plurals import ngettext


@dataclass
class Report:
    """What an import made of a package."""

    document: dict[str, Any]
    shape: str  # "CASE 1.1" or "CASE 1.0"
    placed: Counter[str] = field(default_factory=Counter)
    unplaced: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


# --- mapping onto the référentiel ----------------------------------------------------------------


_KIND_OF_TYPE = {cv.fold(label): kind for kind, label in ITEM_TYPES.items()}


@dataclass
class _Node:
    index: int
    item: dict[str, Any]
    kind: str | None = None  # what it was placed as
    code: str = ""
    children: list[tuple[tuple[int, int, int], str]] = field(default_factory=list)

    @property
    def typed(self) -> str | None:
        label = self.item.get("CFItemType")
        if not isinstance(label, str):
            link = self.item.get("CFItemTypeURI")
            label = link.get("title") if isinstance(link, dict) else None
        return _KIND_OF_TYPE.get(cv.fold(label)) if isinstance(label, str) else None

    @property
    def extension(self) -> dict[str, Any]:
        found = (self.item.get("extensions") or {}).get(EXTENSION)
        return found if isinstance(found, dict) else {}

    def name(self) -> str:
        code = cv.one_line(self.item.get("humanCodingScheme"))
        text = cv.one_line(self.item.get("fullStatement"))
        shown = f"« {code} » " if code else ""
        shown += f"« {text[:70]}{'…' if len(text) > 70 else ''} »" if text else "(sans texte)"
        return f"$.CFItems[{self.index}] {shown}"


class _Mapper:
    def __init__(self, read_package: Package) -> None:
        package = read_package.data
        self.package = package
        self.document = package["CFDocument"]
        self.document_id = str(self.document["identifier"]).lower()
        self.report = Report(document={}, shape=read_package.shape)
        self.unplaced: set[int] = set()
        self.unplaced_lines: list[tuple[int, str]] = []  # by item index
        self.outside_parents: dict[str, str] = {}  # item: the first parent outside the package
        self.nodes = {
            str(item["identifier"]).lower(): _Node(i, item)
            for i, item in enumerate(package.get("CFItems", []))
        }
        self.roots: list[tuple[tuple[int, int, int], str]] = []
        self.codes: set[str] = set()
        # Placed criteria (their entry and their bloc's code) and modalities (their bloc's).
        self.criteria: dict[str, tuple[dict[str, Any], str]] = {}
        self.bloc_of: dict[str, str] = {}
        ext = (self.document.get("extensions") or {}).get(EXTENSION)
        self.ext: dict[str, Any] = ext if isinstance(ext, dict) else {}

    # -- the tree --

    def link(self) -> None:
        """Attach each item to its first parent in the package, in sibling order."""
        parent_of: dict[str, str] = {}
        ignored: Counter[str] = Counter()
        outside = 0
        for a, association in enumerate(self.package.get("CFAssociations", [])):
            if association["associationType"] != "isChildOf":
                continue
            child = str(association["originNodeURI"]["identifier"]).lower()
            parent = str(association["destinationNodeURI"]["identifier"]).lower()
            if child not in self.nodes or (parent != self.document_id and parent not in self.nodes):
                if child in self.nodes:
                    title = cv.one_line(association["destinationNodeURI"].get("title")) or parent
                    self.outside_parents.setdefault(child, title)
                outside += 1
                continue
            if child in parent_of:
                if parent_of[child] != parent:
                    ignored[child] += 1
                continue
            parent_of[child] = parent
            number = association.get("sequenceNumber")
            order = (0 if number is not None else 1, number or 0, a)
            siblings = self.roots if parent == self.document_id else self.nodes[parent].children
            siblings.append((order, child))
        self.roots.sort()
        for node in self.nodes.values():
            node.children.sort()
        for child, count in ignored.items():
            self.report.notes.append(
                f"{self.nodes[child].name()} : rattaché à {count + 1} parents, placé sous le "
                "premier seulement"
            )
        if outside:
            self.report.notes.append(
                ngettext(
                    "%(num)d association isChildOf vers un élément absent du paquet ignorée",
                    "%(num)d associations isChildOf vers des éléments absents du paquet ignorées",
                    outside,
                )
            )

    def place(self) -> None:
        stack: list[tuple[str, str]] = [(key, "document") for _, key in reversed(self.roots)]
        while stack:
            key, parent_kind = stack.pop()
            node = self.nodes[key]
            allowed = cv.CHILDREN[parent_kind]
            wanted = node.typed
            if not allowed:
                self._unplace(
                    node,
                    f"sous {cv.NOUNS[parent_kind]}, le référentiel n'a pas de niveau de plus",
                )
                continue
            if wanted is not None and wanted not in allowed:
                self._unplace(
                    node,
                    f"de type « {node.item.get('CFItemType')} », il ne peut pas être sous "
                    f"{cv.NOUNS[parent_kind]}",
                )
                continue
            node.kind = wanted or allowed[0]
            self.report.placed[node.kind] += 1
            stack.extend((child, node.kind) for _, child in reversed(node.children))
        for key, node in self.nodes.items():
            if node.kind is not None or node.index in self.unplaced:
                continue
            if key in self.outside_parents:
                reason = f"rattaché seulement à « {self.outside_parents[key]} », hors du paquet"
            else:
                reason = "aucune chaîne d'associations isChildOf ne le rattache au document"
            self._unplace(node, reason)
        self.report.unplaced = [line for _, line in sorted(self.unplaced_lines)]

    def _unplace(self, node: _Node, reason: str) -> None:
        self.unplaced_lines.append((node.index, f"{node.name()} : {reason}"))
        self.unplaced.add(node.index)
        stack = [(key, node) for _, key in reversed(node.children)]
        while stack:
            key, parent = stack.pop()
            child = self.nodes[key]
            if child.index in self.unplaced:
                continue
            self.unplaced.add(child.index)
            self.unplaced_lines.append(
                (
                    child.index,
                    f"{child.name()} : son parent $.CFItems[{parent.index}] n'est pas placé",
                )
            )
            stack.extend((grandchild, child) for _, grandchild in reversed(child.children))

    # -- codes and texts --

    def code(self, node: _Node, fallback: str) -> str:
        given = cv.one_line(node.item.get("humanCodingScheme"))
        candidate = given
        if given and not cv.CODE_RE.match(given):
            candidate = re.sub(r"[^A-Za-z0-9._-]+", "-", cv.fold_keep_case(given)).strip("-._")[:40]
        if not candidate or not cv.CODE_RE.match(candidate) or candidate in self.codes:
            candidate = self._free(fallback)
            if not cv.CODE_RE.match(candidate):  # a fallback built on a long parent code
                candidate = self._free(f"E{node.index + 1}")
        if given and candidate != given:
            self.report.notes.append(f"{node.name()} : code remplacé par « {candidate} »")
        self.codes.add(candidate)
        node.code = candidate
        return candidate

    def _free(self, base: str) -> str:
        """`base`, or `base-2`, `base-3`… if taken."""
        candidate, n = base, 1
        while candidate in self.codes:
            n += 1
            candidate = f"{base}-{n}"
        return candidate

    def title(self, node: _Node) -> tuple[str, str]:
        """A title of at most 300 characters, and the full text when it had to be cut."""
        full = cv.title_text(node.item.get("fullStatement"))
        if not full:
            full = cv.one_line(node.item.get("abbreviatedStatement")) or "(sans intitulé)"
        if len(full) <= cv.TITLE_MAX:
            return full, ""
        short = cv.one_line(node.item.get("abbreviatedStatement"))
        if not short or len(short) > cv.TITLE_MAX:
            short = full[: cv.TITLE_MAX - 1].rstrip() + "…"
        return short, full

    def description(self, node: _Node, cut: str) -> str:
        text = "\n\n".join(
            part for part in (cut, str(node.item.get("notes") or "").strip()) if part
        )
        if len(text) > cv.LONGTEXT_MAX:
            self.report.notes.append(f"{node.name()} : description tronquée à 4 000 caractères")
            text = text[: cv.LONGTEXT_MAX - 1] + "…"
        return text

    def titled(self, node: _Node, fallback_code: str) -> dict[str, Any]:
        """An item with a title: its code, title and (when there is one) description."""
        code = self.code(node, fallback_code)
        title, cut = self.title(node)
        entry: dict[str, Any] = {"code": code, "title": title}
        description = self.description(node, cut)
        if description:
            entry["description"] = description
        return entry

    def statement(self, node: _Node) -> str:
        return str(node.item.get("fullStatement") or "").strip() or "(sans énoncé)"

    # -- the document --

    def tree(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        domains: list[dict[str, Any]] = []
        blocs: list[dict[str, Any]] = []
        activity_order: dict[str, int] = {}
        competencies: dict[str, dict[str, Any]] = {}
        for _, key in self.roots:
            node = self.nodes[key]
            if node.kind == "domain":
                domains.append(self._domain(node, len(domains) + 1, activity_order))
            elif node.kind == "bloc":
                blocs.append(self._bloc(node, len(blocs) + 1, competencies))
        self._relate(competencies, activity_order)
        uncovered = [c for c, _ in self.criteria.values() if not c.get("modalities")]
        if uncovered and len(uncovered) < len(self.criteria):
            for criterion, _ in self.criteria.values():
                criterion.pop("modalities", None)
            count = ngettext(
                "%(num)d critère sans modalité d'évaluation liée",
                "%(num)d critères sans modalité d'évaluation liée",
                len(uncovered),
            )
            self.report.notes.append(
                f"{count} : les liens entre critères et modalités sont ignorés (le format les "
                "veut pour tous ou aucun)"
            )
        return domains, blocs

    def _domain(self, node: _Node, n: int, order: dict[str, int]) -> dict[str, Any]:
        code = self.code(node, f"D{n}")
        title, _ = self.title(node)
        activities: list[dict[str, Any]] = []
        for _, key in node.children:
            child = self.nodes[key]
            if child.kind != "activity":
                continue
            activity = self.titled(child, f"A{n}.{len(activities) + 1}")
            self._borrowed(child, activity)
            order[activity["code"]] = len(order)
            activities.append(activity)
        return {"code": code, "title": title, "activities": activities}

    def _bloc(self, node: _Node, n: int, competencies: dict[str, dict[str, Any]]) -> dict[str, Any]:
        bloc = self.titled(node, f"BC{n:02d}")
        code = bloc["code"]
        bloc["optional"] = node.extension.get("optional") is True
        self._borrowed(node, bloc)
        rule = node.extension.get("validationRule")
        if isinstance(rule, str) and rule.strip():
            bloc["validation_rule"] = rule.strip()[: cv.LONGTEXT_MAX]
        validity = node.extension.get("validity")
        if validity == {"unlimited": True} or (
            isinstance(validity, dict)
            and set(validity) == {"years"}
            and isinstance(validity["years"], int)
            and 1 <= validity["years"] <= 99
        ):
            bloc["validity"] = dict(validity)
        bloc["modalities"] = []
        bloc["competencies"] = []
        for _, key in node.children:
            child = self.nodes[key]
            if child.kind == "modality":
                self.bloc_of[key] = code
                bloc["modalities"].append(self.titled(child, f"M{n}.{len(bloc['modalities']) + 1}"))
            elif child.kind == "competency":
                competency_code = self.code(child, f"C{n}.{len(bloc['competencies']) + 1}")
                competency: dict[str, Any] = {
                    "code": competency_code,
                    "statement": self.statement(child),
                }
                self._borrowed(child, competency)
                competency["activities"] = []
                competency["criteria"] = []
                for _, leaf_key in child.children:
                    leaf = self.nodes[leaf_key]
                    if leaf.kind != "criterion":
                        continue
                    letter = cv.letters(len(competency["criteria"]))
                    criterion = {
                        "code": self.code(leaf, f"{competency_code}.{letter}"),
                        "statement": self.statement(leaf),
                    }
                    self.criteria[leaf_key] = (criterion, code)
                    competency["criteria"].append(criterion)
                competencies[key] = competency
                bloc["competencies"].append(competency)
        return bloc

    def _borrowed(self, node: _Node, entry: dict[str, Any]) -> None:
        value = node.extension.get("borrowedFrom")
        if isinstance(value, str) and cv.BORROWED_RE.match(value):
            entry["borrowed_from"] = value

    def _relate(self, competencies: dict[str, dict[str, Any]], order: dict[str, int]) -> None:
        ignored: Counter[str] = Counter()
        activity_code = {
            key: node.code for key, node in self.nodes.items() if node.kind == "activity"
        }
        for association in self.package.get("CFAssociations", []):
            kind = association["associationType"]
            if kind == "isChildOf":
                continue
            ends = (
                str(association["originNodeURI"]["identifier"]).lower(),
                str(association["destinationNodeURI"]["identifier"]).lower(),
            )
            if kind == "isRelatedTo":
                pair = next(
                    (
                        (competencies[c], activity_code[a])
                        for c, a in (ends, ends[::-1])
                        if c in competencies and a in activity_code
                    ),
                    None,
                )
                if pair is not None:
                    if pair[1] not in pair[0]["activities"]:
                        pair[0]["activities"].append(pair[1])
                    continue
                # A criterion and a modality of its own bloc: the modality evaluates it.
                evaluated = next(
                    (
                        (self.criteria[c][0], self.nodes[m].code)
                        for c, m in (ends, ends[::-1])
                        if c in self.criteria and self.bloc_of.get(m) == self.criteria[c][1]
                    ),
                    None,
                )
                if evaluated is not None:
                    names = evaluated[0].setdefault("modalities", [])
                    if evaluated[1] not in names:
                        names.append(evaluated[1])
                    continue
            ignored[kind] += 1
        for competency in competencies.values():
            competency["activities"].sort(key=order.__getitem__)
        for kind, count in sorted(ignored.items()):
            what = (
                "hors des liens d'une compétence à une activité et d'un critère à une modalité "
                "de son bloc"
                if kind == "isRelatedTo"
                else "le référentiel n'a pas d'équivalent"
            )
            self.report.notes.append(
                ngettext(
                    "%(num)d association « %(kind)s » ignorée : %(what)s",
                    "%(num)d associations « %(kind)s » ignorées : %(what)s",
                    count,
                    kind=kind,
                    what=what,
                )
            )


def to_document(
    package: Package,
    *,
    code: str | None = None,
    label: str | None = None,
    level: int | None = None,
) -> Report:
    """Map a package from `read()` onto a référentiel document, listing what it left out.

    `code`, `label` and `level` replace what the package says (or what is made up when it
    says nothing: see the report's notes)."""
    mapper = _Mapper(package)
    if package.unknown:
        mapper.report.notes.append(
            "propriétés inconnues de CASE 1.1, ignorées : " + ", ".join(package.unknown)
        )
    mapper.report.notes.extend(package.ignored)
    mapper.link()
    mapper.place()
    domains, blocs = mapper.tree()
    report = mapper.report
    header = case_header.Header(mapper.document, mapper.document_id, mapper.ext)
    report.document = {
        "format": 1,
        "certification": case_header.certification(header, report.notes, code, level),
        "version": case_header.version(header, label),
        "scale": case_header.scale(mapper.package, report.notes),
        "activity_domains": domains,
        "blocs": blocs,
    }
    return report

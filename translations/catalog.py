"""The interface's catalogues: extract, update, compile, check (`make i18n-*`).

    python translations/catalog.py extract   # messages.pot from the code (babel.cfg)
    python translations/catalog.py update    # merge the new messages into each messages.po
    python translations/catalog.py compile   # messages.po -> messages.mo (not kept in git)
    python translations/catalog.py check     # fails, listing them, on messages without a
                                             # translation, fuzzy, or with other placeholders

The French texts are the msgids: French needs no catalogue. Compiled catalogues are built by
`make install` and by the test suite's setup, never committed (a stale .mo would lie).
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
DIRECTORY = ROOT / "translations"
POT = DIRECTORY / "messages.pot"
KEYWORDS = {
    "_": None,
    "N_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "_l": None,
    "lazy_gettext": None,
    "lazy_ngettext": (1, 2),
    "plural_forms": (1, 2),  # app.i18n.plural_forms: a plural's forms for scripts
    "pgettext": ((1, "c"), 2),
    "npgettext": ((1, "c"), 2, 3),
}
PLACEHOLDER = re.compile(r"%\((\w+)\)[-#0 +]*\d*(?:\.\d+)?[sdfr]|%[sdfr]|\{\w*\}")


def locales() -> list[str]:
    return sorted(
        p.name for p in DIRECTORY.iterdir() if (p / "LC_MESSAGES" / "messages.po").is_file()
    )


def po_path(locale: str) -> Path:
    return DIRECTORY / locale / "LC_MESSAGES" / "messages.po"


def extract() -> Catalog:
    """Every message of the code and templates, as a template catalogue."""
    with open(ROOT / "babel.cfg", encoding="utf-8") as config:
        method_map, options_map = parse_mapping_cfg(config)
    catalog = Catalog(project="cooperation-certification", charset="utf-8", fuzzy=False)
    for filename, lineno, message, comments, context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS, comment_tags=("Translators:",)
    ):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def _write_po(catalog: Catalog, path: Path, **options: bool) -> None:
    with open(path, "wb") as out:
        write_po(out, catalog, width=100, **options)


def write_template() -> Catalog:
    template = extract()
    _write_po(template, POT, omit_header=False)
    return template


def update() -> None:
    template = write_template()
    for locale in locales():
        with open(po_path(locale), "rb") as source:
            catalog = read_po(source, locale=locale)
        catalog.update(template, no_fuzzy_matching=True)
        _write_po(catalog, po_path(locale), ignore_obsolete=True)
        print(f"{po_path(locale).relative_to(ROOT)}: {len(catalog)} messages")


def compile_all(quiet: bool = True) -> None:
    """messages.mo from each messages.po, rewritten only when older (atomic: parallel-safe)."""
    for locale in locales():
        po = po_path(locale)
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with open(po, "rb") as source:
            catalog = read_po(source, locale=locale)
        handle, temporary = tempfile.mkstemp(dir=po.parent, suffix=".mo.tmp")
        with os.fdopen(handle, "wb") as out:
            write_mo(out, catalog)
        os.replace(temporary, mo)
        if not quiet:
            print(f"compiled {mo.relative_to(ROOT)}")


def _strings(message: Message) -> tuple[list[str], list[str]]:
    ids = list(message.id) if isinstance(message.id, (list, tuple)) else [message.id]
    strings = message.string if isinstance(message.string, (list, tuple)) else [message.string]
    return ids, list(strings)


def _placeholders(texts: Iterable[str]) -> set[str]:
    return {match.group(0) for text in texts for match in PLACEHOLDER.finditer(text or "")}


def problems(locale: str, template: Catalog | None = None) -> list[str]:
    """What is missing, fuzzy or inconsistent in a locale's catalogue against the code."""
    template = template if template is not None else extract()
    path = po_path(locale)
    with open(path, "rb") as source:
        catalog = read_po(source, locale=locale)
    found: list[str] = []
    for wanted in template:
        if not wanted.id:
            continue
        message = catalog.get(wanted.id, context=wanted.context)
        where = ", ".join(f"{file}:{line}" for file, line in wanted.locations[:2])
        label = wanted.id[0] if isinstance(wanted.id, (list, tuple)) else wanted.id
        if message is None:
            found.append(f"missing   {label!r}  ({where})")
            continue
        ids, strings = _strings(message)
        if message.fuzzy:
            found.append(f"fuzzy     {label!r}  ({where})")
        elif not all(strings) or len(strings) < (catalog.num_plurals if len(ids) > 1 else 1):
            found.append(f"untranslated {label!r}  ({where})")
        elif _placeholders(strings) != _placeholders(ids[:1]) and not (
            len(ids) > 1 and _placeholders(strings) <= _placeholders(ids)
        ):
            found.append(f"placeholders {label!r}  ({where})")
    return found


def check() -> int:
    template = extract()
    failed = 0
    for locale in locales():
        found = problems(locale, template)
        if found:
            print(
                f"{po_path(locale).relative_to(ROOT)}: {len(found)} messages to translate",
                file=sys.stderr,
            )
            for line in found:
                print(f"  {line}", file=sys.stderr)
            print("  (make i18n-update, then translate them)", file=sys.stderr)
            failed += 1
        else:
            print(f"{po_path(locale).relative_to(ROOT)}: {len(template)} messages, all translated")
    return 1 if failed else 0


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else "check"
    if command == "extract":
        print(f"{len(write_template())} messages in {POT.relative_to(ROOT)}")
    elif command == "update":
        update()
    elif command == "compile":
        compile_all(quiet=False)
    elif command == "check":
        return check()
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

"""French and English ship with the project: the French catalogue covers every string and is compiled."""

import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
# django: the server's strings; djangojs: the rep app's (static/js), served by /app/i18n/<language>.json.
DOMAINS = ["django", "djangojs"]
SOURCES = ["fieldsales", "clients", "workflows", "kpis", "templates", "static", "manage.py"]


def po_file(domain: str) -> Path:
    return ROOT / "locale" / "fr" / "LC_MESSAGES" / f"{domain}.po"


@pytest.mark.parametrize("domain", DOMAINS)
def test_every_french_entry_is_translated_and_not_fuzzy(domain):
    catalogue = polib.pofile(str(po_file(domain)))
    missing = [entry.msgid for entry in catalogue if not entry.obsolete and not entry.translated()]
    assert missing == []


@pytest.mark.parametrize("domain", DOMAINS)
def test_the_compiled_catalogue_matches_the_source_catalogue(domain):
    mo = po_file(domain).with_suffix(".mo")
    compiled = {(entry.msgctxt, entry.msgid): entry.msgstr or entry.msgstr_plural for entry in polib.mofile(str(mo))}
    source = {
        (entry.msgctxt, entry.msgid): entry.msgstr or entry.msgstr_plural
        for entry in polib.pofile(str(po_file(domain)))
        if entry.translated() and not entry.obsolete
    }
    assert compiled == source, "run `make messages` to recompile locale/fr"


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="GNU gettext (xgettext) is not installed; CI installs it")
@pytest.mark.parametrize("domain", DOMAINS)
def test_the_catalogue_holds_every_translatable_string_of_the_sources(tmp_path, domain):
    for name in SOURCES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__", "migrations"))
        elif source.exists():
            shutil.copy(source, tmp_path / name)
    (tmp_path / "locale").mkdir()
    subprocess.run(
        [sys.executable, str(tmp_path / "manage.py"), "makemessages", "-d", domain, "-l", "fr", "--no-location"],
        cwd=tmp_path,
        check=True,
        capture_output=True,
        env={"DJANGO_SETTINGS_MODULE": "fieldsales.settings", "SECRET_KEY": "x", "PATH": "/usr/bin:/bin"},
    )
    extracted = {(e.msgctxt, e.msgid) for e in polib.pofile(str(tmp_path / f"locale/fr/LC_MESSAGES/{domain}.po"))}
    shipped = {(e.msgctxt, e.msgid) for e in polib.pofile(str(po_file(domain))) if not e.obsolete}
    assert sorted(extracted - shipped, key=str) == [], "run `make messages` and translate the new strings"

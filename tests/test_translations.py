"""French and English ship with the project: the French catalogue covers every string and is compiled."""

import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
PO = ROOT / "locale" / "fr" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")
SOURCES = ["fieldsales", "clients", "workflows", "kpis", "templates", "static", "manage.py"]


def test_every_french_entry_is_translated_and_not_fuzzy():
    catalogue = polib.pofile(str(PO))
    missing = [entry.msgid for entry in catalogue if not entry.obsolete and not entry.translated()]
    assert missing == []


def test_the_compiled_catalogue_matches_the_source_catalogue():
    compiled = {(entry.msgctxt, entry.msgid): entry.msgstr or entry.msgstr_plural for entry in polib.mofile(str(MO))}
    source = {
        (entry.msgctxt, entry.msgid): entry.msgstr or entry.msgstr_plural
        for entry in polib.pofile(str(PO))
        if entry.translated() and not entry.obsolete
    }
    assert compiled == source, "run `make messages` to recompile locale/fr"


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="GNU gettext (xgettext) is not installed; CI installs it")
def test_the_catalogue_holds_every_translatable_string_of_the_sources(tmp_path):
    for name in SOURCES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__", "migrations"))
        elif source.exists():
            shutil.copy(source, tmp_path / name)
    (tmp_path / "locale").mkdir()
    subprocess.run(
        [sys.executable, str(tmp_path / "manage.py"), "makemessages", "-l", "fr", "--no-location"],
        cwd=tmp_path,
        check=True,
        capture_output=True,
        env={"DJANGO_SETTINGS_MODULE": "fieldsales.settings", "SECRET_KEY": "x", "PATH": "/usr/bin:/bin"},
    )
    extracted = {(e.msgctxt, e.msgid) for e in polib.pofile(str(tmp_path / "locale/fr/LC_MESSAGES/django.po"))}
    shipped = {(e.msgctxt, e.msgid) for e in polib.pofile(str(PO)) if not e.obsolete}
    assert sorted(extracted - shipped, key=str) == [], "run `make messages` and translate the new strings"

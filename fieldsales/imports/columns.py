"""What a file's columns may mean, and how its headers are matched to them."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils import translation

IGNORED = ""


def fold(text: Any) -> str:
    """A header as compared: case, accents, punctuation and spacing do not matter ("Téléphone " is "telephone",
    "surface_m2" is "Surface (m2)")."""
    decomposed = unicodedata.normalize("NFKD", str(text or "").casefold())
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(re.sub(r"[^0-9a-z]+", " ", bare).split())


def in_both_languages(text: Any) -> tuple[str, ...]:
    """A translatable label as the English and the French clerk read it."""
    names = []
    for language in ("en", "fr"):
        with translation.override(language):
            names.append(str(text))
    return tuple(dict.fromkeys(names))


@dataclass(frozen=True)
class Column:
    """A column the rows of an import may have. `names` are the headers it is known by, in any language."""

    key: str
    label: str
    names: tuple[str, ...] = field(default_factory=tuple)
    required: bool = False
    help: str = ""

    def folded_names(self) -> set[str]:
        return {fold(name) for name in (self.key, self.label, *self.names) if fold(name)}


def match_headers(
    headers: Sequence[str], columns: Iterable[Column], saved: Mapping[str, str] | None = None
) -> dict[int, str]:
    """The column each header is taken for, by position: a mapping saved by the clerk first (by folded header),
    then a column's key or one of its labels. Each column is taken once; unmatched headers are left out."""
    columns = list(columns)
    known = {column.key for column in columns}
    by_name: dict[str, str] = {}
    for column in columns:
        for name in column.folded_names():
            by_name.setdefault(name, column.key)
    mapping: dict[int, str] = {}
    taken: set[str] = set()
    for position, header in enumerate(headers):
        folded = fold(header)
        if not folded:
            continue
        if saved is not None and folded in saved:
            key = saved[folded]
            if key == IGNORED or key not in known or key in taken:
                continue
        else:
            key = by_name.get(folded, IGNORED)
        if key and key not in taken:
            mapping[position] = key
            taken.add(key)
    return mapping

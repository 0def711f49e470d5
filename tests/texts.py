"""What the app wrote, read as its user reads it: a message in French, the text of a PDF."""

from __future__ import annotations

import io
from typing import Any

from django.utils import translation
from pypdf import PdfReader


def french(message: Any, **params: Any) -> str:
    """`message` (a lazy constant, or a msgid) in French, as the server says it."""
    with translation.override("fr"):
        if isinstance(message, str):
            message = translation.gettext(message)
        return str(message % params if params else message)


def text_of(pdf: bytes) -> str:
    """The text of every page of `pdf`, a page a line."""
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)

"""An admin page's form as a browser sends it back: every input, select and textarea the page rendered, with the
values it shows (ticked boxes only, the selected options), leaving out the templates that only a script copies
(Django's empty inline form, `__prefix__`, and the form builder's new row, `__row__`)."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

TEMPLATES = ("__prefix__", "__row__")


class _FormReader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.data: dict[str, list[str]] = {}
        self._select: str | None = None
        self._select_values: list[str] = []
        self._select_first: str | None = None
        self._option: str | None = None
        self._textarea: str | None = None
        self._text: list[str] = []

    def _add(self, name: str | None, value: str) -> None:
        if name and not any(marker in name for marker in TEMPLATES):
            self.data.setdefault(name, []).append(value)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {key: value or "" for key, value in attrs}
        name = attributes.get("name")
        if tag == "input":
            kind = attributes.get("type", "text")
            if kind in ("submit", "button", "image", "reset", "file"):
                return
            if kind in ("checkbox", "radio"):
                if "checked" in attributes:
                    self._add(name, attributes.get("value", "on"))
                return
            self._add(name, attributes.get("value", ""))
        elif tag == "select":
            self._select, self._select_values, self._select_first = name, [], None
        elif tag == "option" and self._select is not None:
            value = attributes.get("value")
            self._option = value
            if self._select_first is None:
                self._select_first = value
            if "selected" in attributes and value is not None:
                self._select_values.append(value)
        elif tag == "textarea":
            self._textarea, self._text = name, []

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "select" and self._select is not None:
            values = self._select_values or ([self._select_first] if self._select_first is not None else [])
            for value in values:
                self._add(self._select, value)
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            # A newline right after <textarea> is not part of its value.
            self._add(self._textarea, "".join(self._text).removeprefix("\n"))
            self._textarea = None


def form_data(html: bytes | str) -> dict[str, Any]:
    """The page's form fields as `Client.post` takes them: a name, its value (a list when it has several)."""
    reader = _FormReader()
    reader.feed(html.decode() if isinstance(html, bytes) else html)
    return {name: values[0] if len(values) == 1 else values for name, values in reader.data.items()}

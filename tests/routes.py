"""Every URL of the project, read from the resolver: what the access and CSRF sweeps request, so that a URL added
later is swept too (tests/sync/test_access_matrix.py, tests/fieldsales/test_csrf.py)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.resolvers import RoutePattern

# Parameters that name a record of a rep's, and which record.
RECORD_PARAMS = {"client_id": "client", "pk": "client", "blob_id": "blob"}
# Every other parameter, with a value that reaches the view (a URL with a parameter missing here fails to build).
OTHER_PARAMS = {
    "language": "fr",
    "app_label": "clients",
    "object_id": "1",
    "id": "1",
    "content_type_id": "1",
    "uidb64": "MQ",
    "token": "set-password",
    "url": "no-such-page/",
    "file_format": "csv",
    "job_id": "00000000-0000-4000-8000-000000000001",
}


@dataclass(frozen=True)
class Route:
    name: str
    pattern: str
    params: tuple[str, ...]
    callback: Any

    @property
    def admin(self) -> bool:
        return self.pattern.startswith("admin/")

    @property
    def record(self) -> str | None:
        records = {RECORD_PARAMS[param] for param in self.params if param in RECORD_PARAMS}
        assert len(records) <= 1, self
        return records.pop() if records else None

    def url(self, values: dict[str, str] | None = None) -> str:
        """The URL with `values` for its parameters, OTHER_PARAMS' for the others."""
        kwargs = {param: (values or {}).get(param) or OTHER_PARAMS[param] for param in self.params}
        if not self.name.startswith("<"):
            return reverse(self.name, kwargs=kwargs)
        # An unnamed admin URL (a redirect to a change page, the catch-all): filled in by hand.
        path = re.sub(r"<(?:\w+:)?(\w+)>", lambda match: kwargs[match[1]], self.pattern)
        path = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda match: kwargs[match[1]], path)
        return "/" + path.replace("^", "").replace("$", "")


def _params(pattern: Any) -> tuple[str, ...]:
    return tuple(pattern.converters) if isinstance(pattern, RoutePattern) else tuple(pattern.regex.groupindex)


def _walk(
    entries: list[URLPattern | URLResolver], namespace: str = "", prefix: str = "", params: tuple[str, ...] = ()
) -> Iterator[Route]:
    for entry in entries:
        here = params + _params(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry.url_patterns, inner, prefix + str(entry.pattern), here)
        else:
            pattern = prefix + str(entry.pattern)
            name = f"{namespace}{entry.name}" if entry.name else f"<{pattern}>"
            yield Route(name, pattern, here, entry.callback)


def all_routes() -> list[Route]:
    """Every URL, the admin's included; an unnamed one is named by its pattern in angle brackets."""
    return list(_walk(get_resolver().url_patterns))


def app_routes() -> list[Route]:
    """Every URL outside the admin."""
    return [route for route in all_routes() if not route.admin]


def route(name: str) -> Route:
    [found] = [route for route in all_routes() if route.name == name]
    return found


def body(response: Any) -> str:
    """A response's content as text, streamed or not."""
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return content.decode("utf-8", "replace")

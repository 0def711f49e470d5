"""Deployment checks of our own, run by `manage.py check --deploy` (and so by `make serve`).

Django's own deploy checks cover HTTPS, cookies and the secret key; these cover the parts production needs that a
development machine does without: PostgreSQL, Redis, hashed static files, the site's public address, and database
pools that PostgreSQL's max_connections can hold.
"""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Tags, Warning, register
from django.db import DatabaseError, connections
from django.http.request import split_domain_port, validate_host


@register(Tags.database, deploy=True)
def production_database(app_configs: Any, **kwargs: Any) -> list[Warning]:
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
        return []
    return [
        Warning(
            "The database is SQLite.",
            hint="Production runs on PostgreSQL: set DATABASE_URL=postgres://user:password@host:5432/fieldsales.",
            id="fieldsales.W001",
        )
    ]


@register(deploy=True)
def production_channel_layer(app_configs: Any, **kwargs: Any) -> list[Warning]:
    if settings.REDIS_URL:
        return []
    return [
        Warning(
            "The channel layer is in memory: realtime messages reach only the apps connected to the same process.",
            hint="Set REDIS_URL=redis://host:6379/0 so every worker tells every rep's app.",
            id="fieldsales.W002",
        )
    ]


@register(deploy=True)
def production_static_files(app_configs: Any, **kwargs: Any) -> list[Warning]:
    if settings.STATIC_MANIFEST:
        return []
    return [
        Warning(
            "Static files are served without hashed names: phones may keep an old app after an update.",
            hint="Leave STATIC_MANIFEST unset (or true) in production and run collectstatic.",
            id="fieldsales.W003",
        )
    ]


@register(Tags.database, deploy=True)
def production_pool_size(app_configs: Any, **kwargs: Any) -> list[Warning]:
    """Every worker of every node filling its pool must stay within PostgreSQL's max_connections: past it, PostgreSQL
    refuses the connection ("too many clients") and requests fail instead of waiting their turn. It asks PostgreSQL,
    so it runs with `check --deploy --database default` (`make serve`)."""
    pool = settings.DATABASES["default"].get("OPTIONS", {}).get("pool")
    if "default" not in (kwargs.get("databases") or ()) or not pool:
        return []  # asked without --database, as Django's own database checks are
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SHOW max_connections")
            limit = int(cursor.fetchone()[0])
    except DatabaseError:
        return []  # unreachable: the migration that follows says so
    needed = pool["max_size"] * settings.WEB_CONCURRENCY * settings.APP_NODES + settings.DB_RESERVED_CONNECTIONS
    if needed <= limit:
        return []
    return [
        Warning(
            f"{settings.APP_NODES} node(s) of {settings.WEB_CONCURRENCY} workers, each with a pool of "
            f"{pool['max_size']} connections, and {settings.DB_RESERVED_CONNECTIONS} kept for psql and migrations, "
            f"need {needed} connections; PostgreSQL allows {limit}.",
            hint="Unset DB_POOL_MAX and set DB_MAX_CONNECTIONS and APP_NODES: the pool is then sized from them. "
            "Or raise max_connections in PostgreSQL.",
            id="fieldsales.W005",
        )
    ]


def _loopback(host: str) -> bool:
    host = host.strip("[]").rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def site_url_problem(url: str, allowed_hosts: list[str]) -> str | None:
    """What is wrong with `url` as the address phones open statement links at, or None.

    This machine's own address is wrong only when the site answers other hosts: a trial of `make serve` that answers
    this machine alone (ALLOWED_HOSTS all loopback) has no other address to give.
    """
    if not url:
        return "SITE_URL is not set: the statement links sent by SMS, WhatsApp and email have no address."
    parts = urlsplit(url)
    if parts.scheme != "https":
        return f"SITE_URL ({url}) is not an https:// address: the site answers HTTPS only."
    host, _port = split_domain_port(parts.netloc.rpartition("@")[2])
    if _loopback(parts.hostname or "") and not all(_loopback(allowed) for allowed in allowed_hosts):
        return f"SITE_URL ({url}) is this machine's own address: phones cannot open the statement links."
    if not validate_host(host, allowed_hosts):
        return f"SITE_URL ({url}) names a host that ALLOWED_HOSTS refuses: the statement links would answer 400."
    return None


@register(deploy=True)
def production_site_url(app_configs: Any, **kwargs: Any) -> list[Warning]:
    problem = site_url_problem(settings.SITE_URL, settings.ALLOWED_HOSTS)
    if problem is None:
        return []
    return [
        Warning(
            problem,
            hint="Set SITE_URL to the address phones reach the site at, e.g. SITE_URL=https://fieldsales.example.com.",
            id="fieldsales.W004",
        )
    ]

"""Deployment checks of our own, run by `manage.py check --deploy` (and so by `make serve`).

Django's own deploy checks cover HTTPS, cookies and the secret key; these cover the parts production needs that a
development machine does without: PostgreSQL and Redis.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Tags, Warning, register


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

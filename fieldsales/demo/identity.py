"""Fixed identities and seeded draws: what lets a second run find every demo row already there."""

from __future__ import annotations

import random
import uuid
from typing import Any, TypeVar

from django.db import models

M = TypeVar("M", bound=models.Model)

NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://fieldsales.example/seed_demo")
SEED = "fieldsales-demo-v1"


def demo_id(kind: str, *parts: int) -> uuid.UUID:
    """The same UUID for the same demo row on every run and every database."""
    return uuid.uuid5(NAMESPACE, ":".join([kind, *(str(part) for part in parts)]))


def demo_random(kind: str, index: int) -> random.Random:
    """One generator per client and purpose: client n's data depends neither on --clients nor on other clients."""
    return random.Random(f"{SEED}:{kind}:{index}")


def ensure(model: type[M], lookup: dict[str, Any], defaults: dict[str, Any]) -> tuple[M, bool]:
    """The row matching `lookup`, or a new one from `defaults` that passed the model's own validation."""
    instance = model._default_manager.filter(**lookup).first()
    if instance is not None:
        return instance, False
    instance = model(**lookup, **defaults)
    instance.full_clean()
    instance.save()
    return instance, True

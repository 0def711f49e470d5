"""The demo users, their roles, and the reps' supervisor."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import AbstractUser, Group

from fieldsales.accounts import ROLES
from fieldsales.demo.data import DEMO_USERS, REP_USERNAMES
from fieldsales.models import Profile

User = get_user_model()


def seed_users(password: str) -> dict[str, AbstractUser]:
    """The demo users by username. Their names, flags, roles and password are set again on every run."""
    groups = {role: Group.objects.get_or_create(name=role)[0] for role in ROLES}
    # One hash for them all: PBKDF2 costs about 0.3 s a call, and they share the documented password anyway.
    encoded = make_password(password)
    users: dict[str, AbstractUser] = {}
    for spec in DEMO_USERS:
        user = User.objects.get_or_create(username=spec.username)[0]
        user.first_name = spec.first_name
        user.last_name = spec.last_name
        user.email = user.email or f"{spec.username}@fieldsales.example"
        user.is_active = True
        user.is_staff = spec.is_staff
        user.is_superuser = spec.is_superuser
        user.password = encoded
        user.save()
        user.groups.set([groups[spec.role]] if spec.role else [])
        users[spec.username] = user
    for username in REP_USERNAMES:
        Profile.objects.update_or_create(user_id=users[username].pk, defaults={"supervisor_id": users["sup1"].pk})
    return users

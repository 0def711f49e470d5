"""Who sees what changes in bulk when a rep's groups change: their feed is recomputed.

A signal is the one place that catches every way a user's groups change (the user admin, the
group admin, a shell, a group's deletion); the work itself is `refresh_reps`. The lists a rep
keeps are sent again: the rep's rights on them come from the groups.
"""

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models.signals import m2m_changed, post_delete, pre_delete

from fieldsales.sync.feed import refresh_reps

# The attribute a group carries between the "pre" and "post" signals of a clear or a delete: its members.
MEMBERS = "_sync_members"


def _refresh(rep_ids: Any) -> None:
    refresh_reps(rep_ids, resend=("client_list",))


def _members(group: Group) -> list[int]:
    return list(group.user_set.values_list("pk", flat=True))


def _groups_changed(sender: Any, instance: Any, action: str, reverse: bool, pk_set: Any, **kwargs: Any) -> None:
    if not isinstance(instance, Group):
        # From the user's side, the user is the one whose feed changes.
        if action in ("post_add", "post_remove", "post_clear"):
            _refresh([instance.pk])
        return
    # From the group's side `pk_set` names the users, except for a clear: its members are read before.
    if action == "pre_clear":
        setattr(instance, MEMBERS, _members(instance))
    elif action == "post_clear":
        _refresh(instance.__dict__.pop(MEMBERS, []))
    elif action in ("post_add", "post_remove"):
        _refresh(list(pk_set or ()))


def _group_deleting(sender: Any, instance: Group, **kwargs: Any) -> None:
    # Deleting a group removes its memberships and list accesses without any m2m signal.
    setattr(instance, MEMBERS, _members(instance))


def _group_deleted(sender: Any, instance: Group, **kwargs: Any) -> None:
    _refresh(instance.__dict__.pop(MEMBERS, []))


def connect() -> None:
    m2m_changed.connect(_groups_changed, sender=get_user_model().groups.through, dispatch_uid="clients.groups_changed")
    pre_delete.connect(_group_deleting, sender=Group, dispatch_uid="clients.group_deleting")
    post_delete.connect(_group_deleted, sender=Group, dispatch_uid="clients.group_deleted")

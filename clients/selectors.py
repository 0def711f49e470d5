"""Reads on client lists and clients, and the two access rules: who sees a client, what a rep may do on a list.

A rep sees a client when the client is assigned to them, not archived, and one of the rep's
groups has an access on the client's list (an access with no right ticked is read-only). The
sync feed, the REST API and the op handlers all ask these functions.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Exists, OuterRef, QuerySet

from clients.models import Assignment, Client, ClientList, ListAccess
from clients.schema import missing_required
from fieldsales.accounts import team_of
from fieldsales.sync.errors import uuid_or_none

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User


@dataclass(frozen=True)
class ListRights:
    """What a user may do on a list's clients. A user without any access on a list does not see it."""

    create: bool = False
    edit: bool = False
    archive: bool = False


RIGHTS = ("create", "edit", "archive")


def list_rights(*, user: User | AnonymousUser, list_ids: Iterable[int] | None = None) -> dict[int, ListRights]:
    """The rights of `user` on each list they can see, merged over their groups."""
    if not user.is_authenticated:
        return {}
    accesses = ListAccess.objects.filter(group__user=user)
    if list_ids is not None:
        accesses = accesses.filter(client_list_id__in=list(list_ids))
    rights: dict[int, ListRights] = {}
    for list_id, create, edit, archive in accesses.values_list(
        "client_list_id", "can_create", "can_edit", "can_archive"
    ):
        held = rights.get(list_id, ListRights())
        rights[list_id] = ListRights(held.create or create, held.edit or edit, held.archive or archive)
    return rights


def _with_rights_sql(*, rights: bool, lock: bool, count: int) -> str:
    """The statement of `client_with_rights` for `count` client ids; its parameters: the user's id, the ids, the
    user's id again."""
    qn = connection.ops.quote_name
    accesses = (
        f"FROM {qn(ListAccess._meta.db_table)} access "
        f"JOIN {qn(get_user_model().groups.through._meta.db_table)} membership "
        "ON membership.group_id = access.group_id "
        "WHERE access.client_list_id = client.client_list_id AND membership.user_id = %s"
    )
    # One bit per right, merged over the user's groups; no row (so NULL) when none of them has access.
    granted = " + ".join(
        f"{1 << bit} * MAX(CASE WHEN access.can_{right} THEN 1 ELSE 0 END)" for bit, right in enumerate(RIGHTS)
    )
    visible = f"(SELECT {granted} {accesses}) AS granted" if rights else f"EXISTS (SELECT 1 {accesses}) AS granted"
    sql = (
        f"SELECT client.*, {visible}, (SELECT version FROM {qn(ClientList._meta.db_table)} "  # noqa: S608 (names from the models, values as parameters)
        "WHERE id = client.client_list_id) AS list_version "
        f"FROM {qn(Client._meta.db_table)} client "
        f"WHERE client.id IN ({', '.join(['%s'] * count)}) AND client.archived_at IS NULL "
        f"AND EXISTS (SELECT 1 FROM {qn(Assignment._meta.db_table)} assignment "
        "WHERE assignment.client_id = client.id AND assignment.rep_id = %s)"
    )
    if lock and connection.features.has_select_for_update:
        # As an UPDATE of the row locks it: a visit or an order naming the client may still be inserted meanwhile.
        sql += " FOR NO KEY UPDATE OF client"
    return sql


def _granted(client: Client, *, rights: bool) -> tuple[Client, ListRights | None, int] | None:
    """The client of a `_with_rights_sql` row, with the rights it read, or None if the user does not see it."""
    # The extra columns, which the raw query sets on the instance.
    extra = vars(client)
    granted, list_version = extra.pop("granted"), extra.pop("list_version")
    if not rights:
        return (client, None, list_version) if granted else None
    if granted is None:
        return None
    # 0 for an access with no right ticked: read-only, the client still seen.
    return client, ListRights(*(bool(int(granted) & (1 << bit)) for bit in range(len(RIGHTS)))), list_version


def client_with_rights(
    *, user: User | AnonymousUser, client_id: uuid.UUID, lock: bool = False, rights: bool = False
) -> tuple[Client, ListRights | None, int] | None:
    """The client if the user sees it (the rule of `clients_visible_to`), with the version of its list and, if
    asked, the user's rights on that list; locked until the transaction ends with `lock`. None if the user does
    not see it.

    One statement, written in SQL: every op a device pushes on a client asks it, and the ORM takes many times
    longer to build these queries than the database takes to answer them.
    """
    if not user.is_authenticated:
        return None
    key = Client._meta.pk.get_db_prep_value(client_id, connection)  # type: ignore[union-attr]
    sql = _with_rights_sql(rights=rights, lock=lock, count=1)
    client = next(iter(Client.objects.raw(sql, [user.pk, key, user.pk])), None)
    return _granted(client, rights=rights) if client is not None else None


def clients_with_rights(
    *, user: User, client_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, tuple[Client, ListRights, int]]:
    """`client_with_rights(rights=True)` of many clients in one statement: those the user sees, by id."""
    keys = [Client._meta.pk.get_db_prep_value(pk, connection) for pk in client_ids]  # type: ignore[union-attr]
    if not keys or not user.is_authenticated:
        return {}
    sql = _with_rights_sql(rights=True, lock=False, count=len(keys))
    found = (_granted(client, rights=True) for client in Client.objects.raw(sql, [user.pk, *keys, user.pk]))
    return {seen[0].pk: seen for seen in found if seen is not None}  # type: ignore[misc]


def lock_clients(ids: list[str]) -> None:
    """Lock these clients' rows until the transaction ends, in the order of their ids whatever the order given; the
    way an UPDATE would (FOR NO KEY UPDATE), so that rows naming them (visits, orders) may still be inserted. Nothing
    where the database has no row locks (SQLite: one writer at a time)."""
    if ids and connection.features.has_select_for_update:
        locked = Client.objects.filter(pk__in=ids).order_by("pk").select_for_update(no_key=True)
        list(locked.values_list("pk", flat=True))


def client_seen_by(
    *, user: User, client_id: Any, lock: bool = False, rights: bool = False, memo: dict[str, Any] | None = None
) -> tuple[Client, ListRights | None] | None:
    """The client `client_id` names (a UUID, or anything that reads as one) if `user` sees it, else None; locked and
    with the user's rights as `client_with_rights` gives them.

    With `memo` (shared by the ops of one push, `push.apply_ops`), with its list too: one object per list and version
    among the calls given the same `memo`, so that a list's schema is read once. And read ahead: the first call reads,
    in one statement, every client the push's ops name (`_read_ahead`); a call finds its client there until an op
    that may change it (`lock`) takes it, after which the client is read afresh. Only the push's `client.*` ops change
    clients, and the push locked the clients they change before its first op: what was read ahead is what is there.
    """
    try:
        key = client_id if isinstance(client_id, uuid.UUID) else uuid.UUID(str(client_id))
    except ValueError:
        return None
    ahead = _read_ahead(user, memo) if memo is not None else {}
    cached = ahead.pop(key, None) if lock else ahead.get(key)
    if cached is not None:
        client, held, list_version = cached
        found: tuple[Client, ListRights | None, int] | None = (client, held if rights else None, list_version)
    else:
        found = client_with_rights(user=user, client_id=key, lock=lock, rights=rights)
    if found is None:
        return None
    client, user_rights, list_version = found
    if memo is not None:
        lists = memo.setdefault("client_lists", {})
        if (client.client_list_id, list_version) not in lists:
            lists[client.client_list_id, list_version] = ClientList.objects.get(pk=client.client_list_id)
        client.client_list = lists[client.client_list_id, list_version]
    return client, user_rights


def _read_ahead(user: User, memo: dict[str, Any]) -> dict[uuid.UUID, tuple[Client, ListRights, int]]:
    """The clients the push's ops (`memo["raws"]`) name, those the user sees, read once per push (again after a
    rejected op): the entity of each `client.*` op, and the `client` of each op's data. A client the push creates is
    not there yet, and is read when asked."""
    records = memo.setdefault("records", {})
    if "clients_ahead" not in records:
        named: set[uuid.UUID] = set()
        for raw in memo.get("raws", ()):
            if (
                str(raw.get("type", "")).startswith("client.")
                and (entity := uuid_or_none(raw.get("entity_id"))) is not None
            ):
                named.add(entity)
            data = raw.get("data")
            if isinstance(data, dict) and (client := uuid_or_none(data.get("client"))) is not None:
                named.add(client)
        records["clients_ahead"] = clients_with_rights(user=user, client_ids=sorted(named))
    return records["clients_ahead"]


def lists_visible_to(user: User) -> QuerySet[ClientList]:
    return ClientList.objects.filter(Exists(ListAccess.objects.filter(client_list=OuterRef("pk"), group__user=user)))


def clients_visible_to(user: User | AnonymousUser) -> QuerySet[Client]:
    """The clients a rep works on: assigned, not archived, on a list the rep has access to."""
    if not user.is_authenticated:
        return Client.objects.none()
    return Client.objects.filter(
        Exists(Assignment.objects.filter(client=OuterRef("pk"), rep=user)),
        Exists(ListAccess.objects.filter(client_list=OuterRef("client_list"), group__user=user)),
        archived_at__isnull=True,
    )


def client_seers(client_ids: Iterable[str]) -> dict[str, set[int]]:
    """For each client, the active users who see it (the rule of `clients_visible_to`, the other way round)."""
    seers: dict[str, set[int]] = {}
    rows = Assignment.objects.filter(
        Exists(ListAccess.objects.filter(client_list=OuterRef("client__client_list"), group__user=OuterRef("rep"))),
        client_id__in=list(client_ids),
        client__archived_at__isnull=True,
        rep__is_active=True,
    ).values_list("client_id", "rep_id")
    for client_id, rep_id in rows:
        seers.setdefault(str(client_id), set()).add(rep_id)
    return seers


def list_seers(list_ids: Iterable[str]) -> dict[str, set[int]]:
    seers: dict[str, set[int]] = {}
    rows = ListAccess.objects.filter(
        client_list_id__in=[int(list_id) for list_id in list_ids], group__user__is_active=True
    ).values_list("client_list_id", "group__user")
    for list_id, user_id in rows:
        seers.setdefault(str(list_id), set()).add(user_id)
    return seers


def client_missing_required(client: Client) -> list[str]:
    """Required attributes the client has no value for (it predates the rule, say)."""
    return missing_required(client.client_list.specs(), client.attributes)


def client_search(queryset: QuerySet[Client], text: str) -> QuerySet[Client]:
    """Accent- and case-insensitive search over the name and the important attributes."""
    from clients.schema import normalize_text

    folded = normalize_text(text)
    if not folded:
        return queryset
    for word in folded.split():
        queryset = queryset.filter(search_text__contains=word)
    return queryset


def client_assigned_to(*, reps: QuerySet, client_field: str = "pk") -> Exists:
    """A filter condition: the client at `client_field` (a client's pk, or a field naming a client) is assigned to one
    of `reps`. A subquery rather than a join: a client of two of the reps comes once."""
    return Exists(Assignment.objects.filter(client=OuterRef(client_field), rep__in=reps.values("pk")))


def clients_of_team(queryset: QuerySet[Client], *, user: User | AnonymousUser) -> QuerySet[Client]:
    """`queryset` cut to the clients of the reps whose records `user` reads when a team bounds them (a supervisor's);
    as it is for anyone else."""
    team = team_of(user=user)
    return queryset if team is None else queryset.filter(client_assigned_to(reps=team))


def clients_for_api(user: User | AnonymousUser) -> QuerySet[Client]:
    """Clients a user reads through the REST API: back-office staff with the view permission see every active
    client, a supervisor among them only their reps' (fieldsales.accounts.team_of); everyone else the clients
    they work on."""
    if user.is_authenticated and user.is_staff and user.has_perm("clients.view_client"):
        return clients_of_team(Client.objects.filter(archived_at__isnull=True), user=user)
    return clients_visible_to(user)


def clients_with_ids(ids: Iterable[Any]) -> QuerySet[Client]:
    """The clients among `ids`, archived or not; ids of clients since deleted are skipped."""
    return Client.objects.filter(pk__in=list(ids))


def clients_in_use() -> QuerySet[Client]:
    """Every client not archived, whoever works on it."""
    return Client.objects.filter(archived_at__isnull=True)


def clients_of_reps(*, rep_ids: Iterable[int]) -> QuerySet[Client]:
    """The clients assigned to any of `rep_ids`, archived or not; a client of two of them may come twice."""
    return Client.objects.filter(assignments__rep_id__in=list(rep_ids))

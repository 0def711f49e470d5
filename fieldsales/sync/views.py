"""HTTP side of the sync contract (../shared/design/sync-protocol.md): pull, push and photos.

The OpenAPI document's lists of entity types, op types and rejection codes are the registry's (registry.py), read
when the document is built: the apps register theirs in `ready()`, after this module's serializers are declared.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from csp.decorators import csp
from django.http import QueryDict
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import build_choice_field
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.parsers import BaseParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from fieldsales.db import retried
from fieldsales.geo import BAD_NEAR, NEAR_PATTERN, near_parse
from fieldsales.metrics import count_push
from fieldsales.models import Blob
from fieldsales.openapi import SIGNED_OUT
from fieldsales.storage import stored_file_response
from fieldsales.sync.blobs import MAX_BYTES, TOO_BIG, BlobError, blob_store
from fieldsales.sync.pull import DEFAULT_LIMIT, MAX_LIMIT, VERSIONS, InvalidCursor, sync_pull
from fieldsales.sync.push import MAX_OPS, apply_ops
from fieldsales.sync.registry import BLOB_READERS, CODES, OPS, entity_type_names

MAX_PUSH_BYTES = 1024 * 1024

BAD_LIMIT = _("limit must be a whole number from 1 to 2000.")
BAD_VERSION = _("v must be 1 or 2 (the version of the pull the app speaks).")
BAD_CURSOR = _("This cursor is not one the server gave; pull again without a cursor.")
NOT_JSON = _("The body is not valid JSON.")
BAD_ENVELOPE = _('Send {"device": "<uuid>", "ops": [...]} with at most 200 ops, each with an op_id (UUID).')
BODY_TOO_LARGE = _("A push carries at most 1 MiB; send fewer ops at a time.")


def _error(status_code: int, code: str, message: Any) -> Response:
    return Response({"code": code, "detail": str(message)}, status=status_code)


class RegisteredName(serializers.CharField):
    """A name the registry holds (an entity type, an op type, a code): documented as the choice among `names()`,
    called when the schema is built. Only documents: the views check what they read themselves."""

    def __init__(self, names: Callable[[], Iterable[str]], **kwargs: Any) -> None:
        self.names = names
        super().__init__(**kwargs)


class RegisteredNameExtension(OpenApiSerializerFieldExtension):
    target_class = RegisteredName

    def map_serializer_field(self, auto_schema: Any, direction: Any) -> Any:
        field = self.target
        return build_choice_field(serializers.ChoiceField(choices=list(field.names()), allow_null=field.allow_null))


def _change_serializer(**kwargs: Any) -> Any:
    return inline_serializer(
        "SyncChange",
        {
            "type": RegisteredName(entity_type_names),
            "id": serializers.CharField(),
            "version": serializers.IntegerField(required=False),
            "deleted": serializers.BooleanField(required=False),
            "data": serializers.DictField(required=False),
        },
        **kwargs,
    )


def _result_serializer(**kwargs: Any) -> Any:
    return inline_serializer(
        "SyncOpResult",
        {
            "op_id": serializers.UUIDField(),
            "status": serializers.ChoiceField(choices=["applied", "duplicate", "conflict", "rejected"]),
            "entity_id": serializers.UUIDField(allow_null=True),
            "version": serializers.IntegerField(allow_null=True),
            "code": RegisteredName(lambda: list(CODES), allow_null=True),
            "errors": serializers.DictField(
                child=serializers.ListField(child=serializers.CharField()), allow_null=True
            ),
            "conflicts": serializers.ListField(child=serializers.CharField(), allow_null=True),
            "current": serializers.DictField(allow_null=True),
        },
        **kwargs,
    )


ERROR = inline_serializer("SyncError", {"code": serializers.CharField(), "detail": serializers.CharField()})
BLOB = inline_serializer(
    "SyncBlob",
    {"id": serializers.UUIDField(), "width": serializers.IntegerField(), "height": serializers.IntegerField()},
)


class RawBodyParser(BaseParser):
    """The view reads `request.body` itself: a photo is the raw image, and a push's JSON is checked by the view, so
    that a broken one gets the contract's answer. (DRF's JSON parser would run first, during the CSRF check, and
    answer with its own error, without a code and in no user's words.)"""

    media_type = "*/*"

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        # Empty form data rather than None: the CSRF check reads `request.POST` of a body sent as a form.
        return QueryDict()


# A JSON answer is no page: it needs no policy beyond "load nothing, be framed by nothing". The site's full policy
# would cost every pull and push some 300 bytes of headers, which a rep on 2G pays at each poll.
API_CSP = method_decorator(csp({"default-src": ["'none'"], "frame-ancestors": ["'none'"]}), name="dispatch")


@API_CSP
class PullView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="sync_pull",
        summary="The rep's changes since a cursor",
        description=(
            "Follow `cursor` until `more` is false to get the rep's complete state (no cursor: from nothing). "
            "Changes come in commit order and none is ever skipped, even when transactions commit out of order. "
            "`deleted: true` means the record left the rep's view. Pulling again with the same cursor is safe.\n\n"
            "A first sync (no cursor) first hands out a snapshot of the rep's records in type order (the order of "
            "`SyncChange.type`'s choices: lists before the clients on them); each page of it says in `snapshot` how "
            "many records of each type the whole snapshot holds.\n\n"
            "`v=2` asks for the lean records of docs/sync-protocol-v2.md: keys whose value is null, false, an empty "
            "list or an empty object are left out, moments are UTC to the second (`2026-11-22T09:14:03Z`), "
            "`kpi_card` holds only `texts` {language: {kpi key: text}} (the rep's language when the rep has one), "
            "`visit` only its submissions' `id`, `activity` and `order_total` (orders). `kpi_folder` (both versions): "
            "`name_en`, `name_fr`, `kpis` [{`key`, `label_en`, `label_fr`, `display`}] in the card's order. "
            "`debt` (both versions; id: the client's, while something is overdue): `overdue` (a decimal string) and "
            "`days` (of the oldest unpaid item overdue). `visit_plan` (both versions): `client`, `workflow`, `days` "
            "(ISO dates from 7 days back to 28 ahead, worked out by the server; the window moves nightly).\n\n"
            "**Rules.** The server publishes the rules the app validates and computes with, so that the app restates "
            "none: each attribute of a `client_list` (and each field of a workflow's activity) carries `rules` "
            "(`max_length`; integer `min`/`max`; decimal `max_digits`; date `formats` [[pattern, order]]; email "
            "`pattern`, `max_length`; phone `phone`: libphonenumber's data for the list's country), a `client_list` "
            "carries `rules` for the client's own `name` and `phone`, and a page may carry the global `rules` "
            "(below). Patterns read the same in Python's `re` and JavaScript's `RegExp` with the `u` flag, matched "
            "whole. A device sends the `version` of the global rules it holds as `rules`; when it is not the "
            "server's, the page carries `rules`, and a page after a cursor first the device's `client_list` and "
            "`workflow` records again (their rules may have changed with the version)."
        ),
        parameters=[
            OpenApiParameter("cursor", OpenApiTypes.STR, required=False),
            OpenApiParameter(
                "limit",
                {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
                required=False,
                description="default 500, at most 2000",
            ),
            OpenApiParameter(
                "v",
                {"type": "string", "enum": [str(version) for version in VERSIONS]},
                required=False,
                description="The version of the records: 1 (the default) or 2, the lean records.",
            ),
            OpenApiParameter(
                "near",
                {"type": "string", "pattern": NEAR_PATTERN},
                required=False,
                description=(
                    "“lat,lng”, the phone's position, e.g. `5.35,-4.01`: the snapshot of a first sync hands out the "
                    "clients nearest first (those without a position last, ties by id). The cursor keeps it: "
                    "ignored on a request with a cursor."
                ),
            ),
            OpenApiParameter(
                "rules",
                OpenApiTypes.STR,
                required=False,
                description=(
                    "The `version` of the rules the device holds (empty: none). The page carries `rules` only when "
                    "it is not the server's; without the parameter, never."
                ),
            ),
        ],
        responses={
            200: inline_serializer(
                "SyncPullPage",
                {
                    "cursor": serializers.CharField(allow_null=True),
                    "more": serializers.BooleanField(),
                    "snapshot": serializers.DictField(
                        child=serializers.IntegerField(),
                        required=False,
                        help_text=(
                            "On a page of a first sync's snapshot: how many records of each type (by its name) the "
                            "whole snapshot holds. Absent on pages of changes."
                        ),
                    ),
                    "rules": inline_serializer(
                        "SyncRules",
                        {
                            "version": serializers.CharField(help_text="A short hash of these rules."),
                            "money": inline_serializer(
                                "SyncMoneyRules",
                                {
                                    "places": serializers.IntegerField(help_text="Amounts are kept to this place."),
                                    "rounding": serializers.CharField(
                                        help_text="Python's decimal rounding mode, e.g. `half_even`."
                                    ),
                                    "currency": serializers.CharField(),
                                },
                            ),
                            "accuracy_credit_m": serializers.FloatField(
                                help_text="The most of a position's accuracy a geo check-in credits to the rep."
                            ),
                            "name_max": serializers.IntegerField(help_text="The longest name of a client."),
                            "duplicates": serializers.DictField(
                                help_text="`radius_m` and `max_edits` of the duplicate-outlet warning."
                            ),
                        },
                        required=False,
                        help_text="Only when the request's `rules` is not this `version`.",
                    ),
                    "changes": _change_serializer(many=True),
                },
            ),
            400: OpenApiResponse(
                ERROR,
                description="`code`: `invalid_limit`, `invalid_cursor`, `invalid_version` or `invalid_near`.",
            ),
            403: SIGNED_OUT,
        },
    )
    def get(self, request: Request) -> Response:
        params = request.query_params
        try:
            limit = int(params.get("limit", DEFAULT_LIMIT))
        except ValueError:
            return _error(400, "invalid_limit", BAD_LIMIT)
        if not 1 <= limit <= MAX_LIMIT:
            return _error(400, "invalid_limit", BAD_LIMIT)
        version = {str(version): version for version in VERSIONS}.get(params.get("v", "1"))
        if version is None:
            return _error(400, "invalid_version", BAD_VERSION)
        near = near_parse(params["near"]) if "near" in params else None
        if "near" in params and near is None:
            return _error(400, "invalid_near", BAD_NEAR)
        try:
            page = sync_pull(
                rep=request.user,  # type: ignore[arg-type]
                cursor=params.get("cursor") or None,
                limit=limit,
                version=version,
                near=near,
                rules_version=params.get("rules"),
            )
        except InvalidCursor:
            return _error(400, "invalid_cursor", BAD_CURSOR)
        answer: dict[str, Any] = {"cursor": page.cursor, "more": page.more}
        if page.snapshot is not None:
            answer["snapshot"] = page.snapshot
        if page.rules is not None:
            answer["rules"] = page.rules
        answer["changes"] = page.changes
        return Response(answer)


@API_CSP
class PushView(APIView):
    permission_classes = [IsAuthenticated]
    parser_classes = [RawBodyParser]

    @extend_schema(
        operation_id="sync_push",
        summary="Apply the device's queued ops, in order, each exactly once",
        description=(
            "One result per op, in the same order. `op_id` is the idempotency key, kept at least 90 days: an op "
            "sent again answers `duplicate` with the first outcome (a `conflict` answers its conflict again). "
            "A `rejected` op changed nothing; the same op sent again is tried again (after a missing photo is "
            "uploaded, say). Envelope errors (400 malformed, 413 too large) look at no op."
        ),
        request={
            "application/json": inline_serializer(
                "SyncPush",
                {
                    "device": serializers.UUIDField(
                        required=False, allow_null=True, help_text="The device's id, kept with each op it sent."
                    ),
                    "ops": serializers.ListField(
                        max_length=MAX_OPS,
                        child=inline_serializer(
                            "SyncOp",
                            {
                                "op_id": serializers.UUIDField(),
                                "type": RegisteredName(lambda: list(OPS)),
                                "entity_id": serializers.UUIDField(),
                                "base_version": serializers.IntegerField(required=False, allow_null=True),
                                "made_at": serializers.DateTimeField(required=False),
                                "data": serializers.DictField(),
                            },
                        ),
                    ),
                },
            )
        },
        responses={
            200: inline_serializer("SyncPushResults", {"results": _result_serializer(many=True)}),
            400: ERROR,
            403: SIGNED_OUT,
            413: ERROR,
        },
    )
    def post(self, request: Request) -> Response:
        if int(request.META.get("CONTENT_LENGTH") or 0) > MAX_PUSH_BYTES or len(request.body) > MAX_PUSH_BYTES:
            return _error(413, "too_large", BODY_TOO_LARGE)
        try:
            body = json.loads(request.body)
        except (ValueError, UnicodeDecodeError, RecursionError):
            # RecursionError: a body nested deeper than the parser goes is as malformed as a broken one.
            return _error(400, "malformed", NOT_JSON)
        envelope = _envelope(body)
        if envelope is None:
            return _error(400, "malformed", BAD_ENVELOPE)
        device, ops = envelope
        # A push its database failed (two pushes on the same records) undid all of it: it runs again here.
        results = retried(lambda: apply_ops(request.user, device, ops))  # type: ignore[arg-type]
        count_push(results)
        return Response({"results": results})


def _envelope(body: Any) -> tuple[uuid.UUID | None, list[dict[str, Any]]] | None:
    if not isinstance(body, dict) or not isinstance(body.get("ops"), list) or len(body["ops"]) > MAX_OPS:
        return None
    try:
        device = uuid.UUID(str(body["device"])) if body.get("device") is not None else None
        for op in body["ops"]:
            uuid.UUID(str(op["op_id"]))
    except (KeyError, TypeError, ValueError):
        return None
    return device, body["ops"]


class BlobView(APIView):
    permission_classes = [IsAuthenticated]
    parser_classes = [RawBodyParser]

    @extend_schema(
        operation_id="sync_blob_put",
        summary="Upload a photo before the op that names it",
        description=(
            "The raw image (image/jpeg, image/png or image/webp, at most 5 MiB). It is re-encoded as JPEG, at most "
            "1600 px on its longer side, without metadata. Idempotent on the UUID: 201 the first time, 200 after."
        ),
        request={
            "image/jpeg": OpenApiTypes.BINARY,
            "image/png": OpenApiTypes.BINARY,
            "image/webp": OpenApiTypes.BINARY,
        },
        responses={
            200: OpenApiResponse(BLOB, description="Already stored: nothing changed."),
            201: OpenApiResponse(BLOB, description="Stored."),
            400: ERROR,
            403: SIGNED_OUT,
            404: OpenApiResponse(ERROR, description="The identifier is not a UUID."),
            409: ERROR,
            413: ERROR,
            415: ERROR,
        },
    )
    def put(self, request: Request, blob_id: uuid.UUID) -> Response:
        if int(request.META.get("CONTENT_LENGTH") or 0) > MAX_BYTES:
            return _error(413, "too_large", TOO_BIG)
        try:
            blob, created = blob_store(
                user=request.user,  # type: ignore[arg-type]
                blob_id=blob_id,
                content_type=request.content_type or "",
                body=request.body,
            )
        except BlobError as error:
            return _error(error.status, error.code, error.message)
        return Response(
            {"id": str(blob.pk), "width": blob.width, "height": blob.height},
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    @extend_schema(
        operation_id="sync_blob_get",
        summary="Download a photo",
        description=(
            "Its uploader, staff with the permission to view photos, and the users who see the record it belongs to "
            "may read it."
        ),
        responses={(200, "image/jpeg"): OpenApiTypes.BINARY, 403: SIGNED_OUT, 404: ERROR},
    )
    def get(self, request: Request, blob_id: uuid.UUID) -> Any:
        blob = Blob.objects.filter(pk=blob_id).first()
        if blob is None or not (
            blob.uploaded_by_id == request.user.pk
            # Staff as the admin's photos page lets them: with the permission to view photos (the back office's).
            or (request.user.is_staff and request.user.has_perm("fieldsales.view_blob"))
            or any(can_read(request.user, blob) for can_read in BLOB_READERS)
        ):
            return _error(404, "not_found", _("No such photo."))
        return stored_file_response(str(blob.file.name), blob.content_type)

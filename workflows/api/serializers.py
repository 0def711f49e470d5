"""The shapes the workflows endpoints answer with, for the OpenAPI schema.

The records themselves are built by workflows/records.py (the same data a device pulls), so the REST API and the
sync feed cannot drift apart; tests/api/test_openapi.py checks these shapes against real answers.
"""

from __future__ import annotations

from drf_spectacular.utils import inline_serializer
from rest_framework import serializers

from workflows.models import ActivityKind, OrderStatus

# An inline serializer, because a declared field cannot be called `fields` on a Serializer class.
ACTIVITY = inline_serializer(
    "Activity",
    {
        "id": serializers.IntegerField(),
        "name": serializers.CharField(help_text="In the request's language (Accept-Language)."),
        "name_en": serializers.CharField(),
        "name_fr": serializers.CharField(),
        "kind": serializers.ChoiceField(choices=ActivityKind.choices),
        "requires_visit": serializers.BooleanField(),
        "requires_geo_checkin": serializers.BooleanField(),
        "radius_m": serializers.IntegerField(help_text="Check-in radius, when a geo check-in is required."),
        "fields": serializers.ListField(child=serializers.DictField(), help_text="The activity's form fields."),
    },
    many=True,
)


class WorkflowSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    version = serializers.IntegerField()
    name = serializers.CharField(help_text="In the request's language (Accept-Language).")
    name_en = serializers.CharField()
    name_fr = serializers.CharField()
    order = serializers.IntegerField(help_text="Where the workflow comes in the rep's choice.")
    lists = serializers.ListField(child=serializers.IntegerField(), help_text="Client lists; empty means every list.")
    activities = ACTIVITY


class ProductSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    version = serializers.IntegerField()
    sku = serializers.CharField()
    name = serializers.CharField()
    unit_price = serializers.DecimalField(max_digits=12, decimal_places=2, coerce_to_string=True)
    active = serializers.BooleanField()


class OrderLineSerializer(serializers.Serializer):
    product = serializers.IntegerField()
    quantity = serializers.DecimalField(max_digits=12, decimal_places=3, coerce_to_string=True)
    unit_price = serializers.DecimalField(max_digits=12, decimal_places=2, coerce_to_string=True)
    value = serializers.DecimalField(max_digits=14, decimal_places=2, coerce_to_string=True)


class SubmissionSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    activity = serializers.IntegerField()
    activity_name = serializers.CharField()
    values = serializers.DictField(help_text="The activity's form values, by field key.")
    order_total = serializers.DecimalField(max_digits=14, decimal_places=2, coerce_to_string=True)
    status = serializers.ChoiceField(
        choices=OrderStatus.choices, allow_null=True, help_text="Where the order stands; null if it is no order."
    )
    submitted_at = serializers.DateTimeField()
    lines = OrderLineSerializer(many=True)


class VisitSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    version = serializers.IntegerField()
    client = serializers.UUIDField()
    workflow = serializers.IntegerField()
    rep = serializers.CharField(help_text="The rep's full name, or user name.")
    rep_id = serializers.IntegerField(help_text="The rep's user id: the app knows its own visits by it.")
    checked_in_at = serializers.DateTimeField()
    ended_at = serializers.DateTimeField(allow_null=True)
    distance_m = serializers.FloatField(allow_null=True, help_text="From the client at check-in.")
    submissions = SubmissionSerializer(many=True)


class NoteSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    version = serializers.IntegerField()
    client = serializers.UUIDField()
    visit = serializers.UUIDField(allow_null=True)
    text = serializers.CharField()
    author = serializers.CharField(
        allow_null=True, help_text="The author's full name, or user name; null once deleted."
    )
    created_at = serializers.DateTimeField()

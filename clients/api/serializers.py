from __future__ import annotations

from typing import Any

from rest_framework import serializers

from clients.models import Client


def person(user: Any) -> str | None:
    return None if user is None else (user.get_full_name() or user.get_username())


class ClientSerializer(serializers.ModelSerializer):
    list = serializers.IntegerField(source="client_list_id", read_only=True)
    photo = serializers.UUIDField(source="photo_id", read_only=True, allow_null=True)
    created_by = serializers.SerializerMethodField()
    updated_by = serializers.SerializerMethodField()
    attributes = serializers.DictField(
        read_only=True, help_text="Values by attribute key of the list's schema, in canonical form."
    )
    distance_m = serializers.SerializerMethodField()

    class Meta:
        model = Client
        fields = [
            "id",
            "list",
            "name",
            "lat",
            "lng",
            "accuracy_m",
            "phone",
            "photo",
            "attributes",
            "statement_enabled",
            "version",
            "created_at",
            "created_by",
            "updated_at",
            "updated_by",
            "distance_m",
        ]
        read_only_fields = fields

    def get_created_by(self, client: Client) -> str | None:
        return person(client.created_by)

    def get_updated_by(self, client: Client) -> str | None:
        return person(client.updated_by)

    def get_distance_m(self, client: Client) -> float | None:
        """Metres from the `near` point, when the request gave one: the distance the list was sorted by."""
        distance: float | None = getattr(client, "_distance", None)
        return None if distance is None else round(distance, 1)

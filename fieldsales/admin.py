from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from fieldsales.models import Blob, Profile

User = get_user_model()


class ProfileInline(admin.StackedInline):
    model = Profile
    fk_name = "user"
    can_delete = False
    verbose_name_plural = _("profile")
    autocomplete_fields = ["supervisor"]
    # The rep chooses it in the app; a change must go through `rep_language_set`, which sends the KPI cards again.
    readonly_fields = ["language"]


admin.site.unregister(User)


@admin.register(User)
class FieldSalesUserAdmin(UserAdmin):
    inlines = [ProfileInline]
    list_display = ["username", "first_name", "last_name", "email", "roles", "is_staff", "is_active"]
    list_filter = ["groups", "is_staff", "is_active"]

    def get_queryset(self, request):  # type: ignore[no-untyped-def]
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description=_("roles"))
    def roles(self, user) -> str:  # type: ignore[no-untyped-def]
        return ", ".join(group.name for group in user.groups.all())

    # A manager manages users and their roles, not superusers nor permissions outside the roles: either would let
    # them give themselves every right.

    def get_readonly_fields(self, request, obj=None):  # type: ignore[no-untyped-def]
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            readonly += ["is_superuser", "user_permissions"]
        return readonly

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_delete_permission(request, obj)


@admin.register(Blob)
class BlobAdmin(admin.ModelAdmin):
    list_display = ["id", "content_type", "size", "width", "height", "uploaded_by", "created_at"]
    readonly_fields = ["id", "file", "content_type", "size", "width", "height", "uploaded_by", "created_at"]

    def has_add_permission(self, request) -> bool:  # type: ignore[no-untyped-def]
        return False


admin.site.site_header = _("FieldSales back office")
admin.site.site_title = _("FieldSales")
admin.site.index_title = _("Back office")
# One sign-in page for everyone (fieldsales/signin.py): the admin's login renders it, with its staff-only form.
admin.site.login_template = "registration/login.html"

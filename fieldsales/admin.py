from typing import Any

from axes.admin import AccessAttemptAdmin, IsLockedOutFilter
from axes.models import AccessAttempt
from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db.models import Case, QuerySet, When
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult, get_date_max

from fieldsales.accounts import (
    ROLES,
    SUPERVISORS,
    reps_assign_supervisor,
    reps_of_supervisor,
    supervisors_queryset,
    user_create_with_role,
    user_password_link,
    user_password_link_send,
    users_deactivate,
)
from fieldsales.forms import (
    ProfileForm,
    RoleChoiceField,
    SupervisorChoiceForm,
    UserCreateForm,
    UserEditForm,
    role_label,
)
from fieldsales.jobs import JOB_STATUS, job_label
from fieldsales.models import Blob, Job, Profile

User = get_user_model()


class ProfileInline(admin.StackedInline):
    model = Profile
    form = ProfileForm
    fk_name = "user"
    can_delete = False
    verbose_name_plural = _("profile")
    # The rep chooses it in the app; a change must go through `rep_language_set`, which sends the KPI cards again.
    readonly_fields = ["language"]


class RoleFilter(admin.SimpleListFilter):
    title = _("role")
    parameter_name = "role"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(role, role_label(role)) for role in ROLES]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        return queryset.filter(groups__name=self.value()) if self.value() in ROLES else queryset


class SupervisorFilter(admin.SimpleListFilter):
    title = _("supervisor")
    parameter_name = "supervisor"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(str(user.pk), user.get_full_name() or user.username) for user in supervisors_queryset()]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        return queryset.filter(profile__supervisor_id=self.value()) if self.value() else queryset


admin.site.unregister(User)


@admin.register(User)
class FieldSalesUserAdmin(UserAdmin):
    """Users and teams. A manager gives roles, never superuser status nor permissions outside the roles: either
    would let them give themselves every right. Users are made, linked to a supervisor and deactivated through the
    services of fieldsales/accounts.py."""

    add_form = UserCreateForm
    form = UserEditForm
    add_fieldsets = (
        (None, {"fields": ("username", "first_name", "last_name", "email")}),
        (_("Role and team"), {"fields": ("role", "supervisor", "language")}),
        (_("Password"), {"fields": ("usable_password", "password1", "password2")}),
    )
    inlines = [ProfileInline]
    # Five columns: what fits beside the navigation and the filters at 1366 pixels (email is searched, not shown).
    list_display = ["username", "full_name", "roles", "supervisor", "is_active"]
    list_filter = [RoleFilter, SupervisorFilter, "is_active", "is_staff"]
    actions = ["assign_supervisor", "deactivate"]

    def get_queryset(self, request):  # type: ignore[no-untyped-def]
        return super().get_queryset(request).select_related("profile__supervisor").prefetch_related("groups")

    @admin.display(description=_("name"), ordering="last_name")
    def full_name(self, user) -> str:  # type: ignore[no-untyped-def]
        return user.get_full_name()

    @admin.display(description=_("roles"))
    def roles(self, user) -> str:  # type: ignore[no-untyped-def]
        return ", ".join(role_label(group.name) for group in user.groups.all())

    @admin.display(description=_("supervisor"))
    def supervisor(self, user) -> str:  # type: ignore[no-untyped-def]
        profile = getattr(user, "profile", None)
        supervisor = profile.supervisor if profile is not None else None
        return (supervisor.get_full_name() or supervisor.username) if supervisor is not None else ""

    @admin.display(description=_("reps"))
    def team(self, user) -> str:  # type: ignore[no-untyped-def]
        reps = list(reps_of_supervisor(user))
        listed = reverse("admin:auth_user_changelist") + "?" + urlencode({"supervisor": user.pk})
        if not reps:
            return str(_("No rep yet: choose this supervisor in a rep's page, or select reps in the users list."))
        # Lines, not a list: the admin's form styles indent a list as if it were a widget's choices.
        links = format_html_join(
            mark_safe("<br>"),
            '<a href="{}">{}</a>',
            ((reverse("admin:auth_user_change", args=[rep.pk]), rep.get_full_name() or rep.username) for rep in reps),
        )
        return format_html(
            '<p class="team">{}</p><p><a href="{}">{}</a></p>', links, listed, _("See them in the users list")
        )

    def get_inlines(self, request, obj):  # type: ignore[no-untyped-def]
        # The add form asks for the supervisor and the language itself.
        return self.inlines if obj is not None else []

    def get_fieldsets(self, request, obj=None):  # type: ignore[no-untyped-def]
        fieldsets = list(super().get_fieldsets(request, obj))
        if obj is None:
            return fieldsets
        if not request.user.is_superuser:
            fieldsets = [
                (None, {"fields": ("username", "password")}),
                (_("Personal info"), {"fields": ("first_name", "last_name", "email")}),
                (_("Role and access"), {"fields": ("is_active", "is_staff", "groups")}),
                (_("Important dates"), {"fields": ("last_login", "date_joined")}),
            ]
        if obj.groups.filter(name=SUPERVISORS).exists():
            fieldsets.append((_("Team"), {"fields": ("team",)}))
        return fieldsets

    def get_readonly_fields(self, request, obj=None):  # type: ignore[no-untyped-def]
        readonly = [*super().get_readonly_fields(request, obj), "team"]
        if not request.user.is_superuser:
            readonly += ["is_superuser", "user_permissions"]
        return readonly

    def get_form(self, request, obj=None, change=False, **kwargs):  # type: ignore[no-untyped-def]
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is not None:
            form = type(form.__name__, (form,), {"editor": request.user})
        return form

    def formfield_for_manytomany(self, db_field, request, **kwargs):  # type: ignore[no-untyped-def]
        if db_field.name == "groups" and not request.user.is_superuser:
            # Roles only: a group a superuser made with other permissions is theirs to give.
            kwargs["queryset"] = Group.objects.filter(name__in=ROLES).order_by(
                Case(*(When(name=role, then=rank) for rank, role in enumerate(ROLES)))
            )
            kwargs["form_class"] = RoleChoiceField
            kwargs["widget"] = forms.CheckboxSelectMultiple
            kwargs["label"] = capfirst(_("roles"))
            kwargs["help_text"] = _("What the user does; each role comes with its rights.")
        elif db_field.name == "groups":
            kwargs["form_class"] = RoleChoiceField
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_delete_permission(request, obj)

    # Saving through the services --------------------------------------------------------------------------------

    def save_model(self, request, obj, form, change) -> None:  # type: ignore[no-untyped-def]
        if not change:
            self._create(request, obj, form)
            return
        deactivating = "is_active" in form.changed_data and not obj.is_active
        if deactivating:
            obj.is_active = True  # `users_deactivate` does it, and ends the sessions and sockets too
        super().save_model(request, obj, form, change)
        if deactivating:
            users_deactivate(by=request.user, users=User.objects.filter(pk=obj.pk))
            obj.is_active = False

    def _create(self, request, obj, form) -> None:  # type: ignore[no-untyped-def]
        data = form.cleaned_data
        created = user_create_with_role(
            username=data["username"],
            role=data["role"],
            first_name=data.get("first_name", ""),
            last_name=data.get("last_name", ""),
            email=data.get("email", ""),
            password=data["password1"] if data["set_usable_password"] else None,
            language=data.get("language", ""),
            supervisor=data.get("supervisor"),
        )
        for model_field in User._meta.concrete_fields:
            setattr(obj, model_field.attname, getattr(created, model_field.attname))
        obj._state.adding = False
        obj._state.db = created._state.db
        if not data["set_usable_password"]:
            link = user_password_link(user=created, request=request)
            user_password_link_send(user=created, link=link)
            self.message_user(
                request,
                format_html(
                    '{} <a href="{}">{}</a>',
                    _("Send this link to the user to choose their password:"),
                    link,
                    link,
                ),
                messages.WARNING,
            )

    def save_related(self, request, form, formsets, change) -> None:  # type: ignore[no-untyped-def]
        if not change:
            return  # `user_create_with_role` gave the role and made the profile
        # Groups that are no role are not offered to a manager: saving the form keeps them.
        kept = [] if request.user.is_superuser else list(form.instance.groups.exclude(name__in=ROLES))
        super().save_related(request, form, formsets, change)
        if kept:
            form.instance.groups.add(*kept)

    # Actions ------------------------------------------------------------------------------------------------------

    def _confirm(self, request, queryset, *, action: str, title: Any, question: Any, submit: Any, form=None):  # type: ignore[no-untyped-def]
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "question": question,
            "submit": submit,
            "form": form,
            "users": queryset.order_by("username"),
            "action": action,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/fieldsales/user_action_confirm.html", context)

    @admin.action(description=_("Assign to a supervisor"), permissions=["change"])
    def assign_supervisor(self, request, queryset):  # type: ignore[no-untyped-def]
        form = SupervisorChoiceForm(request.POST if "post" in request.POST else None)
        if form.is_bound and form.is_valid():
            try:
                count = reps_assign_supervisor(reps=queryset, supervisor=form.cleaned_data["supervisor"])
            except ValidationError as error:
                form.add_error(None, error)
            else:
                supervisor = form.cleaned_data["supervisor"]
                message = ngettext(
                    "%(count)d rep assigned to %(supervisor)s.", "%(count)d reps assigned to %(supervisor)s.", count
                ) % {"count": count, "supervisor": supervisor.get_full_name() or supervisor.username}
                self.message_user(request, message, messages.SUCCESS)
                return None
        return self._confirm(
            request,
            queryset,
            action="assign_supervisor",
            title=_("Assign to a supervisor"),
            question=_("Which supervisor's team do these reps join? They leave the team they are in."),
            submit=_("Assign"),
            form=form,
        )

    @admin.action(description=_("Deactivate selected users"), permissions=["change"])
    def deactivate(self, request, queryset):  # type: ignore[no-untyped-def]
        if "post" in request.POST:
            try:
                count = users_deactivate(by=request.user, users=queryset)
            except ValidationError as error:
                self.message_user(request, " ".join(error.messages), messages.ERROR)
                return None
            message = ngettext("%(count)d user deactivated.", "%(count)d users deactivated.", count) % {"count": count}
            self.message_user(request, message, messages.SUCCESS)
            return None
        return self._confirm(
            request,
            queryset,
            action="deactivate",
            title=_("Deactivate users"),
            question=_(
                "These users will no longer sign in: they are signed out of every device now, and their open apps "
                "close. Their clients, visits and orders stay. A user can be made active again in their page."
            ),
            submit=_("Deactivate"),
        )


@admin.register(Blob)
class BlobAdmin(admin.ModelAdmin):
    list_display = ["id", "content_type", "size", "width", "height", "uploaded_by", "created_at"]
    readonly_fields = ["id", "file", "content_type", "size", "width", "height", "uploaded_by", "created_at"]

    def has_add_permission(self, request) -> bool:  # type: ignore[no-untyped-def]
        return False


# django-axes' attempts, in the admin's language: its filter, status column and action are English only in its own
# admin. Its French covers the rest (fields, models); fieldsales/lockouts.py names the app and the records.


def _swapped(names: Any, old: Any, new: Any) -> list[Any]:
    return [new if name == old else name for name in names]


class LockedOutFilter(IsLockedOutFilter):
    title = _("locked out")


class SignInAttemptAdmin(AccessAttemptAdmin):
    list_display = _swapped(AccessAttemptAdmin.list_display, "expiration", "expires_at")
    list_filter = _swapped(AccessAttemptAdmin.list_filter, IsLockedOutFilter, LockedOutFilter)
    readonly_fields = _swapped(AccessAttemptAdmin.readonly_fields, "expiration", "expires_at")
    fieldsets = tuple(
        (name, {**options, "fields": _swapped(options["fields"], "expiration", "expires_at")})
        for name, options in AccessAttemptAdmin.fieldsets
    )

    @admin.action(description=_("Clean up expired attempts"))
    def cleanup_expired_attempts(self, request, queryset) -> None:  # type: ignore[no-untyped-def]
        count = self.handler.clean_expired_user_attempts(request=request)
        message = ngettext("%(count)d expired attempt cleaned up.", "%(count)d expired attempts cleaned up.", count) % {
            "count": count
        }
        self.message_user(request, message)

    @admin.display(description=_("status"))
    def status(self, obj: AccessAttempt) -> str:
        left = settings.AXES_FAILURE_LIMIT - obj.failures_since_start
        if left > 0:
            return ngettext("%(count)d attempt left", "%(count)d attempts left", left) % {"count": left}
        return str(_("Locked out"))

    @admin.display(description=_("expires at"))
    def expires_at(self, obj: AccessAttempt) -> Any:
        expiration = getattr(obj, "expiration", None)
        return expiration.expires_at if expiration is not None else _("not set")


if admin.site.is_registered(AccessAttempt):
    admin.site.unregister(AccessAttempt)
    admin.site.register(AccessAttempt, SignInAttemptAdmin)


admin.site.site_header = _("FieldSales back office")
admin.site.site_title = _("FieldSales")
admin.site.index_title = _("Back office")
# One sign-in page for everyone (fieldsales/signin.py): the admin's login renders it, with its staff-only form.
admin.site.login_template = "registration/login.html"


# The job queue (fieldsales/jobs.py): django-tasks-db's rows, in the admin's language, read only.


class JobStatusFilter(admin.SimpleListFilter):
    title = _("status")
    parameter_name = "status"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return list(JOB_STATUS.items())

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        return queryset.filter(status=self.value()) if self.value() in JOB_STATUS else queryset


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ["job", "state", "attempts", "enqueued", "next_attempt", "error"]
    list_filter = [JobStatusFilter]
    ordering = ["-enqueued_at"]
    shown = ["job", "state", "attempts", "enqueued", "started_at", "finished_at", "next_attempt", "arguments"]
    readonly_fields = [*shown, "traceback"]
    list_per_page = 50

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.shown + (["traceback"] if obj is not None and obj.traceback else [])

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("job"), ordering="task_path")
    def job(self, obj: Job) -> str:
        return str(job_label(obj.task_path))

    @admin.display(description=_("status"), ordering="status")
    def state(self, obj: Job) -> str:
        return str(JOB_STATUS.get(TaskResultStatus(obj.status), obj.status))

    @admin.display(description=_("enqueued at"), ordering="enqueued_at")
    def enqueued(self, obj: Job) -> Any:
        return obj.enqueued_at

    @admin.display(description=_("attempts"))
    def attempts(self, obj: Job) -> int:
        return len(obj.worker_ids)

    @admin.display(description=_("next attempt"), ordering="run_after")
    def next_attempt(self, obj: Job) -> Any:
        if obj.status != TaskResultStatus.READY or obj.run_after == get_date_max():
            return "—"
        return obj.run_after

    @admin.display(description=_("last error"))
    def error(self, obj: Job) -> str:
        return obj.exception_class_path.rpartition(".")[2] or "—"

    @admin.display(description=_("arguments"))
    def arguments(self, obj: Job) -> str:
        return ", ".join(f"{key}={value}" for key, value in obj.args_kwargs.get("kwargs", {}).items()) or "—"


if admin.site.is_registered(DBTaskResult):
    admin.site.unregister(DBTaskResult)

"""The user admin's forms (fieldsales/admin.py): a user made with a role, roles instead of groups, a supervisor chosen
among supervisors. The rules themselves are the services' (fieldsales/accounts.py); these forms ask them."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import SetUnusablePasswordMixin, UserChangeForm, UserCreationForm, UsernameField
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from fieldsales.accounts import (
    REPS,
    ROLE_LABELS,
    password_link_days,
    supervisors_queryset,
    user_role_check,
    users_deactivate_check,
)
from fieldsales.models import Profile

User = get_user_model()


def role_label(name: str) -> str:
    """A group as people read it: its role's label, or its name for a group that is no role."""
    return str(ROLE_LABELS.get(name, name))


class RoleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return role_label(obj.name)


class SupervisorChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        full_name = obj.get_full_name()
        return f"{full_name} ({obj.username})" if full_name else obj.username


def supervisor_field(**kwargs: Any) -> SupervisorChoiceField:
    return SupervisorChoiceField(queryset=supervisors_queryset(), label=_("Supervisor"), **kwargs)


class UserCreateForm(SetUnusablePasswordMixin, UserCreationForm):
    """A rep, a supervisor or back-office staff in one form: names, role, supervisor, language, and a password now or
    a link to choose one. The admin saves it through `user_create_with_role`."""

    role = forms.ChoiceField(label=_("Role"), choices=list(ROLE_LABELS.items()), initial=REPS)
    supervisor = supervisor_field(required=False, help_text=_("Reps only: the supervisor whose team the rep is in."))
    language = forms.ChoiceField(
        label=_("Language"),
        choices=[("", _("The one of their first sign-in")), *Profile.Language.choices],
        required=False,
        help_text=_("The language of the rep's app and of their KPI cards; they may change it in the app."),
    )
    usable_password = forms.ChoiceField(
        label=_("Set by"),
        choices={"true": _("You, now"), "false": _("The user, through a link")},
        initial="true",
        required=False,
        # The radio list Django's add-user page styles and which shows or hides the password fields (its own CSS).
        widget=forms.RadioSelect(attrs={"class": "radiolist inline"}),
    )

    class Meta:
        model = User
        fields = ("username", "first_name", "last_name", "email")
        field_classes = {"username": UsernameField}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["supervisor"].queryset = supervisors_queryset()  # type: ignore[attr-defined]  # fresh each form
        self.fields["password1"].required = False
        self.fields["password2"].required = False
        self.fields["usable_password"].help_text = _(
            "A link lets the user choose their own password. It is shown to you once the user is saved, to send by "
            "message, and emailed when the user has an email address. It works once, for %(days)d days."
        ) % {"days": password_link_days()}

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        try:
            user_role_check(
                role=cleaned.get("role", ""),
                supervisor=cleaned.get("supervisor"),
                language=cleaned.get("language", ""),
            )
        except ValidationError as error:
            self.add_error(None, error)
        return cleaned

    def save(self, commit: bool = False) -> Any:
        """The user, unsaved and without a password: `user_create_with_role` makes them (the admin's save_model)."""
        return forms.ModelForm.save(self, commit=False)


class UserEditForm(UserChangeForm):
    """Django's user form; unticking "active" takes the deactivation rule (`users_deactivate_check`)."""

    editor: Any = None  # the user saving the form, set by the admin

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if "is_active" in self.changed_data and not cleaned.get("is_active") and self.editor is not None:
            try:
                users_deactivate_check(by=self.editor, users=User.objects.filter(pk=self.instance.pk))
            except ValidationError as error:
                self.add_error("is_active", error)
        return cleaned


class ProfileForm(forms.ModelForm):
    """A user's profile in their page: the supervisor among the supervisors (and the one already there, should they
    no longer be one, so that saving the page keeps them)."""

    supervisor = supervisor_field(required=False)

    class Meta:
        model = Profile
        fields = ["supervisor", "phone"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        current = Q(pk=self.instance.supervisor_id) if self.instance.supervisor_id else Q(pk__in=[])
        field = self.fields["supervisor"]
        field.queryset = User.objects.filter(Q(pk__in=supervisors_queryset()) | current).order_by(  # type: ignore[attr-defined]
            "username"
        )


class SupervisorChoiceForm(forms.Form):
    """The confirmation page of "assign to a supervisor"."""

    supervisor = supervisor_field()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["supervisor"].queryset = supervisors_queryset()  # type: ignore[attr-defined]

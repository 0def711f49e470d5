from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class FieldsalesConfig(AppConfig):
    name = "fieldsales"
    verbose_name = _("Accounts and sync")

    def ready(self) -> None:
        from django.conf import settings
        from django.contrib.auth.signals import user_logged_in
        from django.db.models.signals import post_delete, post_save
        from django_tasks.signals import task_finished

        from fieldsales import checks, tasks  # noqa: F401 - registers the deploy checks, and the jobs by name
        from fieldsales.accounts import rep_language_from_sign_in, sockets_closed_on_deactivation
        from fieldsales.metrics import count_job
        from fieldsales.roles import ensure_roles
        from fieldsales.sync import errors

        # First, as this app comes before the others: the engine's rejection codes, then each app's own.
        errors.register()

        # Each app's post_migrate creates its permissions; granting after every one of them (each permission once)
        # leaves the groups complete whatever the app order.
        post_migrate.connect(ensure_roles, dispatch_uid="fieldsales.ensure_roles")
        task_finished.connect(count_job, dispatch_uid="fieldsales.count_job")
        user_logged_in.connect(rep_language_from_sign_in, dispatch_uid="fieldsales.rep_language_from_sign_in")
        for name, signal in (("post_save", post_save), ("post_delete", post_delete)):
            signal.connect(
                sockets_closed_on_deactivation,
                sender=settings.AUTH_USER_MODEL,
                dispatch_uid=f"fieldsales.sockets_closed_on_deactivation.{name}",
            )

"""The back office's rights matrix: every admin page and every action, for every role, answers as MATRIX says.

The pages are read from the admin's URLs and the actions from each registered ModelAdmin, not listed by hand: a model
registered, a page or an action added later fails `test_every_admin_page_and_action_is_in_the_matrix` until MATRIX
says who may use it, and then the sweeps below try it for every role. A supervisor tries each page on records of a
rep they supervise; the records of a rep they do not supervise are tried at the end.
"""

from __future__ import annotations

import io
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Model
from django.test import Client as HttpClient
from django.test import RequestFactory, override_settings
from django.urls import reverse
from django.utils import timezone
from import_export.formats import base_formats
from PIL import Image

from clients.models import Client, PossibleDuplicate
from clients.services import client_archive
from fieldsales.accounts import REPS
from fieldsales.models import Blob, Job, Profile
from kpis.models import KpiFolder, LedgerEntry, StatementDelivery, Target
from kpis.tasks import refresh_all_cards
from tests.factories import (
    AssignmentFactory,
    BackOfficeFactory,
    ClientFactory,
    LedgerEntryFactory,
    ManagerFactory,
    NoteFactory,
    OrderLineFactory,
    ProductFactory,
    RepFactory,
    SubmissionFactory,
    SupervisorFactory,
    UserFactory,
    VisitFactory,
    WorkflowFactory,
    built_once,
    make_pos_list,
    reps_may_edit,
)
from tests.routes import all_routes, body
from workflows.models import (
    ActivitySubmission,
    Note,
    Order,
    OrderLine,
    RepAbsence,
    SubmissionPhoto,
    Visit,
    VisitPlan,
)

SUPERUSER, MANAGER, BACK_OFFICE, SUPERVISOR, REP, ANONYMOUS = ROLES = (
    "superuser",
    "manager",
    "back office",
    "supervisor",
    "rep",
    "anonymous",
)
# Who is let into the admin at all; the others are sent to its sign-in page, whatever the page.
STAFF = (SUPERUSER, MANAGER, BACK_OFFICE, SUPERVISOR)

NOBODY: frozenset[str] = frozenset()
SUPERUSERS = frozenset({SUPERUSER})
MANAGEMENT = frozenset({SUPERUSER, MANAGER})
OFFICE = frozenset({SUPERUSER, MANAGER, BACK_OFFICE})
READERS = frozenset({SUPERUSER, MANAGER, BACK_OFFICE, SUPERVISOR})


@dataclass(frozen=True)
class Rights:
    """Who may use each page of a model's admin; anyone else is refused: staff with 403, others sent to sign in."""

    view: frozenset[str]  # the list, a record's history, and its page (read-only unless in `change`)
    change: frozenset[str] = NOBODY  # a record's page as a form that saves, and (users) the password page
    add: frozenset[str] = NOBODY
    delete: frozenset[str] = NOBODY
    import_: frozenset[str] | None = None  # None: the model has no import
    export: frozenset[str] | None = None  # None: the model has no export
    actions: dict[str, frozenset[str]] = field(default_factory=dict)  # each action of the list: who is offered it


MATRIX: dict[str, Rights] = {
    # Roles and users: managers manage users, and see the roles; roles themselves are the superusers'.
    "auth.group": Rights(view=MANAGEMENT, change=SUPERUSERS, add=SUPERUSERS, delete=SUPERUSERS,
                         actions={"delete_selected": SUPERUSERS}),
    "auth.user": Rights(view=MANAGEMENT, change=MANAGEMENT, add=MANAGEMENT, delete=SUPERUSERS,
                        actions={"delete_selected": SUPERUSERS, "assign_supervisor": MANAGEMENT,
                                 "deactivate": MANAGEMENT}),
    # Sign-in lockouts: the back office unlocks a username by deleting its attempt.
    "axes.accessattempt": Rights(view=OFFICE, change=SUPERUSERS, delete=OFFICE,
                                 actions={"delete_selected": OFFICE, "cleanup_expired_attempts": OFFICE}),
    "axes.accesslog": Rights(view=OFFICE, change=SUPERUSERS, delete=SUPERUSERS,
                             actions={"delete_selected": SUPERUSERS}),
    "axes.accessfailurelog": Rights(view=OFFICE, change=SUPERUSERS, delete=SUPERUSERS,
                                    actions={"delete_selected": SUPERUSERS}),
    "fieldsales.blob": Rights(view=OFFICE, change=SUPERUSERS, delete=SUPERUSERS,
                              actions={"delete_selected": SUPERUSERS}),
    # The job queue, read by the back office; its rows are the workers' alone.
    "fieldsales.job": Rights(view=OFFICE, actions={"delete_selected": NOBODY}),
    # List schemas and who works on each list: managers.
    "clients.clientlist": Rights(view=READERS, change=MANAGEMENT, add=MANAGEMENT, delete=MANAGEMENT,
                                 actions={"delete_selected": MANAGEMENT}),
    # Clients: the back office; purge (delete) the managers; supervisors read and export.
    "clients.client": Rights(view=READERS, change=OFFICE, add=OFFICE, delete=MANAGEMENT, import_=OFFICE,
                             export=READERS,
                             actions={"reps_add": OFFICE, "reps_remove": OFFICE, "statement_enable": OFFICE,
                                      "statement_disable": OFFICE, "attribute_set": OFFICE, "archive": OFFICE,
                                      "restore": OFFICE, "delete_selected": MANAGEMENT, "plan_visits": READERS,
                                      "plan_collection_visits": READERS}),
    # The clients reps created anyway beside a likely duplicate: the back office reviews them; no one deletes one.
    "clients.possibleduplicate": Rights(view=READERS, change=OFFICE,
                                        actions={"not_duplicate": OFFICE, "archive_new": OFFICE,
                                                 "delete_selected": NOBODY}),
    "workflows.workflow": Rights(view=OFFICE, change=MANAGEMENT, add=MANAGEMENT, delete=MANAGEMENT,
                                 actions={"delete_selected": MANAGEMENT}),
    # Records made in the field: read (and exported), never rewritten, by anyone.
    "workflows.visit": Rights(view=READERS, export=READERS, actions={"delete_selected": NOBODY}),
    "workflows.orderline": Rights(view=READERS, export=READERS, actions={"delete_selected": NOBODY}),
    # Orders: read and exported by all; only their status changes, by the back office (its page's buttons and the
    # actions); never deleted.
    "workflows.order": Rights(view=READERS, change=OFFICE, export=READERS,
                              actions={"confirm": OFFICE, "deliver": OFFICE, "cancel": OFFICE,
                                       "delete_selected": NOBODY}),
    "workflows.activitysubmission": Rights(view=READERS, actions={"delete_selected": NOBODY}),
    # The photo gallery, and each photo and its thumbnail (read as the gallery's pages).
    "workflows.submissionphoto": Rights(view=READERS, actions={"delete_selected": NOBODY}),
    "workflows.note": Rights(view=READERS, actions={"delete_selected": NOBODY}),
    "workflows.product": Rights(view=OFFICE, change=OFFICE, add=OFFICE, delete=OFFICE, import_=OFFICE,
                                actions={"delete_selected": OFFICE}),
    # Plans: the back office and the supervisors (their own reps', imported too); absences: the back office, read by
    # supervisors.
    "workflows.visitplan": Rights(view=READERS, change=READERS, add=READERS, delete=READERS, import_=READERS,
                                  actions={"delete_selected": READERS}),
    "workflows.repabsence": Rights(view=READERS, change=OFFICE, add=OFFICE, delete=OFFICE,
                                   actions={"delete_selected": OFFICE}),
    "kpis.ledgerentry": Rights(view=READERS, change=OFFICE, add=OFFICE, delete=OFFICE, import_=OFFICE,
                               export=READERS, actions={"delete_selected": OFFICE}),
    "kpis.kpifolder": Rights(view=OFFICE, change=MANAGEMENT, add=MANAGEMENT, delete=MANAGEMENT,
                             actions={"delete_selected": MANAGEMENT}),
    "kpis.target": Rights(view=READERS, change=OFFICE, add=OFFICE, delete=OFFICE, import_=OFFICE,
                          actions={"delete_selected": OFFICE}),
    # The delivery log: the back office retries; no one but a superuser deletes a line of it.
    "kpis.statementdelivery": Rights(view=OFFICE, change=OFFICE, delete=SUPERUSERS,
                                     actions={"retry": OFFICE, "delete_selected": SUPERUSERS}),
}  # fmt: skip

# Each kind of page a model's admin has (its URL name's last part), and the right it takes.
PAGES = {
    "changelist": "view",
    "history": "view",
    "change": "view",
    "add": "add",
    "delete": "delete",
    "password_change": "change",
    "import": "import_",
    "process_import": "import_",
    "export": "export",
    # An order's status, moved on by the buttons of its page (a POST; a GET goes back to the page).
    "status": "change",
    # A planned day of a visit plan moved to another day, or dropped (`?day=`: the plan's first day).
    "move": "change",
    # A photo of the gallery and its thumbnail.
    "image": "view",
    "thumbnail": "view",
    # The import wizard (fieldsales.imports): its pages, and those of one import (job_id).
    "import_wizard": "import_",
    "import_template": "import_",
    "import_job": "import_",
    "import_status": "import_",
    "import_errors": "import_",
}
# Pages that, let in, act on what the request names (an import, a file format, a confirmed import), which here is
# nothing: let in, they answer 404 or 400, or send back to the form.
PAGES_OF_NOTHING = {"process_import", "import_template", "import_job", "import_status", "import_errors", "status"}
# The admin's own pages, which are about no model: the index and the app pages list what the user may see.
SITE_PAGES = {
    "admin:index",
    "admin:login",
    "admin:logout",
    "admin:password_change",
    "admin:password_change_done",
    "admin:autocomplete",
    "admin:jsi18n",
    "admin:view_on_site",
    "admin:app_list",
}
# Unnamed admin URLs: the old address of a record's page, which redirects to it, and the catch-all.
UNNAMED = re.compile(r"<admin/(\w+/\w+/<path:object_id>/|\(\?P<url>\.\*\)\$)>")


@dataclass(frozen=True)
class Page:
    model: str
    kind: str
    url_name: str
    params: tuple[str, ...]


def registered() -> dict[str, Any]:
    return {model._meta.label_lower: model_admin for model, model_admin in admin.site._registry.items()}


def admin_pages() -> list[Page]:
    """Every page of every registered model's admin, from the URL resolver."""
    prefixes = {label.replace(".", "_") + "_": label for label in registered()}
    pages = []
    for route in all_routes():
        if not route.admin or route.name in SITE_PAGES or UNNAMED.fullmatch(route.name):
            continue
        name = route.name.removeprefix("admin:")
        owner = next((prefix for prefix in prefixes if name.startswith(prefix)), None)
        assert owner is not None, f"{route.name}: an admin URL of no registered model; which page is it?"
        pages.append(Page(prefixes[owner], name.removeprefix(owner), route.name, route.params))
    return pages


def offered_actions(model_admin: Any) -> set[str]:
    """Every action a model's admin may offer: those it declares, the site's, and those its get_actions adds
    (asked as a superuser, who is offered every action a permission can open)."""
    request = RequestFactory().get("/admin/")
    request.user = UserFactory.build(is_superuser=True, is_staff=True, is_active=True)
    declared = {name for _function, name, _description in model_admin._get_base_actions()}
    return declared | set(model_admin.get_actions(request))


# The inventory -------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_every_admin_page_and_action_is_in_the_matrix():
    """A model registered in the admin, or a page or an action added to one, fails here until the matrix says who
    may use it."""
    models = registered()
    assert set(models) == set(MATRIX)
    pages = admin_pages()
    assert {page.kind for page in pages} <= set(PAGES), "a new kind of admin page: which right does it take?"
    for label, model_admin in models.items():
        rights = MATRIX[label]
        rights_taken = {PAGES[page.kind] for page in pages if page.model == label}
        assert ("import_" in rights_taken) == (rights.import_ is not None), label
        assert ("export" in rights_taken) == (rights.export is not None), label
        assert offered_actions(model_admin) == set(rights.actions), label


# The world the roles try ----------------------------------------------------------------------------------------------


@dataclass
class World:
    users: dict[str, Any]
    # Per model: the record whose pages are tried, and the one whose delete page is (a purge needs an archived client).
    subjects: dict[str, Model]
    deletable: dict[str, Model]
    # The records of a rep the supervisor does not supervise.
    theirs: dict[str, Model]
    pos_list: Any


@pytest.fixture(scope="module")
def world_once(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[World]:  # type: ignore[no-untyped-def]
    """The world, built once for the module's tests (see `built_once`): each test's writes (a role's posts, a grant)
    are rolled back after it, as before, and it finds the world as it was built. Its photos' files stay in the
    module's MEDIA_ROOT."""
    with override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("media")):
        yield from built_once(django_db_blocker, build_world)


@pytest.fixture
def world(db, world_once) -> World:  # type: ignore[no-untyped-def]
    return world_once


def build_world() -> World:
    reps = Group.objects.get_or_create(name=REPS)[0]
    pos_list = reps_may_edit(make_pos_list())
    supervisor, other_supervisor = (
        SupervisorFactory(username="bintou", is_staff=True),
        SupervisorFactory(username="moussa", is_staff=True),
    )
    awa, koffi = RepFactory(username="awa"), RepFactory(username="koffi")
    Profile.objects.create(user=awa, supervisor=supervisor)
    Profile.objects.create(user=koffi, supervisor=other_supervisor)
    users = {
        SUPERUSER: UserFactory(username="root", is_staff=True, is_superuser=True),
        MANAGER: ManagerFactory(username="ibrahim"),
        BACK_OFFICE: BackOfficeFactory(username="nadia"),
        SUPERVISOR: supervisor,
        REP: awa,
        ANONYMOUS: None,
    }

    def field_records(rep: Any, name: str) -> dict[str, Model]:
        client = ClientFactory(client_list=pos_list, name=name)
        AssignmentFactory(client=client, rep=rep)
        visit = VisitFactory(rep=rep, client=client)
        submission = SubmissionFactory(visit=visit)
        line = OrderLineFactory(submission=submission)
        order = Order.objects.create(
            submission=submission, client=client, rep=rep, ordered_at=submission.submitted_at, total=line.value
        )
        blob = Blob(content_type="image/jpeg", size=1, width=1, height=1, uploaded_by=rep)
        blob.file.save("photo.jpg", ContentFile(tiny_jpeg()), save=False)
        blob.save()
        twin = ClientFactory(client_list=pos_list, name=f"{name} bis")
        AssignmentFactory(client=twin, rep=rep)
        return {
            "clients.client": client,
            "clients.possibleduplicate": PossibleDuplicate.objects.create(
                new_client=twin, existing_client=client, rep=rep
            ),
            "workflows.visit": visit,
            "workflows.orderline": line,
            "workflows.order": order,
            "workflows.activitysubmission": submission,
            "workflows.submissionphoto": SubmissionPhoto.objects.create(submission=submission, key="photo", blob=blob),
            "workflows.note": NoteFactory(client=client, visit=visit, author=rep, text=f"Note {name}"),
            "kpis.ledgerentry": LedgerEntryFactory(client=client, reference=f"F-{name}"),
            "kpis.target": Target.objects.create(
                rep=rep, period_start=timezone.localdate(), period_end=timezone.localdate(), value=Decimal(10)
            ),
            "workflows.visitplan": VisitPlan.objects.create(
                rep=rep, client=client, workflow=visit.workflow, starts_on=timezone.localdate()
            ),
            "workflows.repabsence": RepAbsence.objects.create(
                rep=rep, starts_on=timezone.localdate(), ends_on=timezone.localdate()
            ),
        }

    ours, theirs = field_records(awa, "Chez Awa"), field_records(koffi, "Chez Koffi")
    archived = ClientFactory(client_list=pos_list, name="Ancien client d'Awa")
    AssignmentFactory(client=archived, rep=awa)
    client_archive(user=None, client=archived)
    now = timezone.now()
    subjects: dict[str, Model] = {
        **ours,
        "auth.group": reps,
        "auth.user": koffi,
        "axes.accessattempt": AccessAttempt.objects.create(
            username="awa", ip_address="10.0.0.1", user_agent="t", attempt_time=now, failures_since_start=1
        ),
        "axes.accesslog": AccessLog.objects.create(
            username="awa", ip_address="10.0.0.1", user_agent="t", attempt_time=now
        ),
        "axes.accessfailurelog": AccessFailureLog.objects.create(
            username="awa", ip_address="10.0.0.1", user_agent="t", attempt_time=now
        ),
        "fieldsales.blob": Blob.objects.create(
            file="blobs/00/photo.jpg", content_type="image/jpeg", size=1, width=1, height=1, uploaded_by=awa
        ),
        "fieldsales.job": Job.objects.get(pk=refresh_all_cards.enqueue().id),
        "clients.clientlist": pos_list,
        "workflows.workflow": WorkflowFactory(),
        "workflows.product": ProductFactory(),
        "kpis.kpifolder": KpiFolder.objects.create(name_en="Account", name_fr="Compte"),
        "kpis.statementdelivery": StatementDelivery.objects.create(
            client=ours["clients.client"],
            requested_by=awa,
            channel=StatementDelivery.Channel.SMS,
            recipient="+2250700000001",
            period_start=timezone.localdate(),
            period_end=timezone.localdate(),
            next_attempt_at=now,
        ),
    }
    return World(
        users=users,
        subjects=subjects,
        deletable={**subjects, "clients.client": archived},
        theirs=theirs,
        pos_list=pos_list,
    )


def tiny_jpeg() -> bytes:
    output = io.BytesIO()
    Image.new("RGB", (4, 3), "white").save(output, "JPEG")
    return output.getvalue()


def http_for(user: Any) -> HttpClient:
    http = HttpClient()
    if user is not None:
        http.force_login(user)
    return http


def url_of(page: Page, world: World) -> str:
    record = world.deletable[page.model] if page.kind == "delete" else world.subjects[page.model]
    values = {"object_id": str(record.pk), "id": str(record.pk), "job_id": str(uuid.uuid4()), "file_format": "csv"}
    url = reverse(page.url_name, kwargs={param: values[param] for param in page.params})
    if page.model == "clients.client" and page.kind == "add":
        url += f"?client_list={world.pos_list.pk}"  # else the page first asks which list
    if page.kind == "move":
        url += f"?day={record.starts_on}"  # type: ignore[attr-defined]
    return url


def sent_to_sign_in(response: Any) -> bool:
    return response.status_code == 302 and response["Location"].startswith("/admin/login/")


def allowed(role: str, page: Page) -> bool:
    granted = getattr(MATRIX[page.model], PAGES[page.kind])
    return role in (granted or NOBODY)


def answer(role: str, page: Page, http: HttpClient, world: World) -> str:
    """What the role gets, in the matrix's words: "refused", "read", "edit" (a record's page), or "allowed"."""
    url = url_of(page, world)
    response = http.post(url, {}) if page.kind == "process_import" else http.get(url)
    if role not in STAFF:
        return "refused" if sent_to_sign_in(response) else f"{response.status_code}: not sent to sign in"
    if response.status_code == 403:
        return "refused"
    assert response.status_code < 500, (role, url)
    if page.kind in PAGES_OF_NOTHING:
        return "allowed"
    if response.status_code != 200:
        return str(response.status_code)
    if page.kind == "change":
        return "edit" if response.context["has_change_permission"] else "read"
    return "allowed"


def expected(role: str, page: Page) -> str:
    if not allowed(role, page):
        return "refused"
    if page.kind == "change":
        return "edit" if role in MATRIX[page.model].change else "read"
    return "allowed"


# The sweeps ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_every_admin_page_answers_each_role_as_the_matrix_says(world, role):
    http = http_for(world.users[role])
    wrong = {}
    for page in admin_pages():
        got, want = answer(role, page, http, world), expected(role, page)
        if got != want:
            wrong[page.url_name] = f"got {got}, expected {want}"
    assert wrong == {}


def table_state() -> dict[str, list[str]]:
    """Every row of every model the admin shows."""
    return {
        model._meta.label_lower: sorted(map(repr, model._default_manager.values())) for model in admin.site._registry
    }


@pytest.mark.parametrize("role", STAFF)
def test_each_role_is_offered_the_actions_the_matrix_gives_it_and_others_change_nothing(world, role):
    """Each list offers the role the actions the matrix gives it; an action posted anyway does nothing."""
    http = http_for(world.users[role])
    wrong = {}
    for label, rights in MATRIX.items():
        changelist = reverse(f"admin:{label.replace('.', '_')}_changelist")
        page = http.get(changelist)
        if role not in rights.view:
            assert page.status_code == 403, label
            offered: set[str] = set()
        elif page.context["action_form"] is None:
            offered = set()
        else:
            offered = {name for name, _label in page.context["action_form"].fields["action"].choices if name}
        if offered != {name for name, roles in rights.actions.items() if role in roles}:
            wrong[label] = offered
        # Nothing happens between one action's "after" and the next one's "before": the one read serves as both.
        state = None
        for action, roles in rights.actions.items():
            if role in roles:
                continue
            before = table_state() if state is None else state
            record = world.deletable[label]
            http.post(changelist, {"action": action, "_selected_action": [str(record.pk)], "post": "yes"})
            state = table_state()
            if state != before:
                wrong[f"{label} {action}"] = "changed something"
    assert wrong == {}


@pytest.mark.parametrize("role", [role for role in ROLES if role != SUPERUSER])
def test_a_delete_refused_deletes_nothing(world, role):
    """Posting the confirmation of a delete page the role may not use: nothing deleted (the delivery log, a purge)."""
    http = http_for(world.users[role])
    kept = []
    for page in admin_pages():
        if page.kind != "delete" or allowed(role, page):
            continue
        record = world.deletable[page.model]
        response = http.post(url_of(page, world), {"post": "yes"})
        assert response.status_code == 403 if role in STAFF else sent_to_sign_in(response), page
        kept.append(type(record)._default_manager.filter(pk=record.pk).exists())
    assert kept and all(kept)


def import_file() -> SimpleUploadedFile:
    header = "id,list,name,phone,lat,lng,accuracy_m,statement_enabled,reps,quartier,categorie"
    row = ",Points de vente,Épicerie importée,,5.35,-4.0,,no,,Cocody,Boutique"
    return SimpleUploadedFile("clients.csv", f"{header}\n{row}\n".encode())


@pytest.mark.parametrize("role", [SUPERVISOR, REP, ANONYMOUS])
def test_a_file_posted_to_an_import_page_by_a_role_without_the_import_right_imports_nothing(world, role):
    """Every page that takes an import's file (its first step), posted a file as the form would send it."""
    http = http_for(world.users[role])
    first_steps = [
        page for page in admin_pages() if page.kind in ("import", "import_wizard") and not allowed(role, page)
    ]
    before = table_state()

    answers = {}
    for page in first_steps:
        response = http.post(url_of(page, world), {"import_file": import_file(), "file": import_file(), "format": "0"})
        answers[page.url_name] = response.status_code == 403 if role in STAFF else sent_to_sign_in(response)

    assert first_steps and answers == dict.fromkeys(answers, True)
    assert table_state() == before


# A supervisor and the records of a rep they do not supervise ----------------------------------------------------------


TEAM_MODELS = {
    "clients.client": Client,
    "clients.possibleduplicate": PossibleDuplicate,
    "workflows.visit": Visit,
    "workflows.orderline": OrderLine,
    "workflows.order": Order,
    "workflows.activitysubmission": ActivitySubmission,
    "workflows.submissionphoto": SubmissionPhoto,
    "workflows.note": Note,
    "kpis.ledgerentry": LedgerEntry,
    "kpis.target": Target,
    "workflows.visitplan": VisitPlan,
    "workflows.repabsence": RepAbsence,
}


@pytest.mark.parametrize("label", sorted(TEAM_MODELS))
def test_a_supervisor_reads_only_their_reps_records_in_the_admin(world, label):
    http = http_for(world.users[SUPERVISOR])
    prefix = f"admin:{label.replace('.', '_')}"
    ours, theirs = world.subjects[label], world.theirs[label]

    nobodys = uuid.uuid4() if isinstance(theirs.pk, uuid.UUID) else 10**9

    def answers(pk: Any) -> list[tuple[int, str]]:
        pages = [http.get(reverse(f"{prefix}_{kind}", args=[pk])) for kind in ("change", "history", "delete")]
        return [(page.status_code, page.get("Location", "")) for page in pages]

    listed = {record.pk for record in http.get(reverse(f"{prefix}_changelist")).context["cl"].result_list}

    assert ours.pk in listed and theirs.pk not in listed
    # As for a record that does not exist (change and history: back to the admin's index; delete: not theirs to do,
    # or, where supervisors delete their own reps' records, back to the index too).
    deletes = SUPERVISOR in MATRIX[label].delete
    delete_theirs = (302, "/admin/") if deletes else (403, "")
    assert answers(theirs.pk) == answers(nobodys) == [(302, "/admin/"), (302, "/admin/"), delete_theirs]
    assert [status for status, _location in answers(ours.pk)] == [200, 200, 200 if deletes else 403]


@pytest.mark.parametrize(
    "label", ["clients.client", "workflows.visit", "workflows.orderline", "workflows.order", "kpis.ledgerentry"]
)
def test_a_supervisors_export_holds_only_their_reps_records(world, label):
    http = http_for(world.users[SUPERVISOR])
    url = reverse(f"admin:{label.replace('.', '_')}_export")
    model_admin = admin.site._registry[TEAM_MODELS[label]]
    form = http.get(url).context["form"]
    data = {name: "on" for name, form_field in form.fields.items() if getattr(form_field, "is_selectable_field", False)}
    data.update({"format": str(model_admin.get_export_formats().index(base_formats.CSV)), "resource": "0"})

    exported = body(http.post(url, data))

    assert "chez awa" in exported.lower()
    assert "koffi" not in exported.lower()


def test_a_manager_cannot_make_anyone_a_superuser_nor_change_one(world):
    root, manager = world.users[SUPERUSER], world.users[MANAGER]
    http = http_for(manager)
    page = http.get(reverse("admin:auth_user_change", args=[world.users[BACK_OFFICE].pk]))
    fields = page.context["adminform"].form.fields

    assert "is_superuser" not in fields and "user_permissions" not in fields
    assert "groups" in fields  # roles are the manager's to give
    assert http.get(reverse("admin:auth_user_change", args=[root.pk])).context["has_change_permission"] is False
    assert http.get(reverse("admin:auth_user_password_change", args=[root.pk])).status_code == 403
    assert not get_user_model().objects.filter(is_superuser=True).exclude(pk=root.pk).exists()


def test_the_delivery_log_stays_whole_even_for_a_group_granted_its_delete_permission(world):
    """No grant lets anyone but a superuser delete a line of the statement delivery log."""
    Group.objects.get(name="Back office").permissions.add(
        Permission.objects.get(content_type__app_label="kpis", codename="delete_statementdelivery")
    )
    http = http_for(world.users[BACK_OFFICE])
    delivery = world.subjects["kpis.statementdelivery"]

    page = http.post(reverse("admin:kpis_statementdelivery_delete", args=[delivery.pk]), {"post": "yes"})
    action = http.post(
        reverse("admin:kpis_statementdelivery_changelist"),
        {"action": "delete_selected", "_selected_action": [str(delivery.pk)], "post": "yes"},
    )

    assert page.status_code == 403
    assert action.status_code == 302
    assert StatementDelivery.objects.filter(pk=delivery.pk).exists()

"""What reps recorded, as the back office reads it: a visit's page with each activity's answers as "label: value" in
the reader's language and its photos as thumbnails opening the photo; distances rounded; the submissions' list; the
photo gallery, filtered by client, rep, visit and date, in bounded queries; photos shown to those who may read
them."""

from __future__ import annotations

import datetime as dt
import io
import re
import uuid
from html import unescape
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.test import Client as HttpClient
from django.utils import timezone, translation
from django.utils.html import strip_tags
from PIL import Image

from fieldsales.models import Blob, Profile
from tests.factories import (
    ActivityFactory,
    ClientFactory,
    RepFactory,
    SubmissionFactory,
    SupervisorFactory,
    VisitFactory,
    signed_in,
)
from workflows.display import distance_text
from workflows.models import ActivityKind, SubmissionPhoto, Visit
from workflows.services import THUMBNAIL_SIDE

pytestmark = pytest.mark.django_db

GALLERY = "/admin/workflows/submissionphoto/"
NOON = timezone.make_aware(dt.datetime(2026, 11, 20, 12))
SHELF_FIELDS = [
    {"key": "part_rayon", "type": "integer", "label_en": "Shelf share (%)", "label_fr": "Part de rayon (%)"},
    {"key": "rupture", "type": "boolean", "label_en": "Out of stock", "label_fr": "Rupture de stock"},
    {
        "key": "emplacement",
        "type": "choice",
        "label_en": "Placement",
        "label_fr": "Emplacement",
        "options": ["Tête de gondole", "Rayon principal"],
    },
    {"key": "releve", "type": "date", "label_en": "Counted on", "label_fr": "Relevé le"},
    {"key": "ca", "type": "decimal", "label_en": "Turnover", "label_fr": "Chiffre d'affaires"},
    {"key": "photo_rayon", "type": "photo", "label_en": "Shelf photo", "label_fr": "Photo du rayon"},
]


def jpeg(width: int = 1600, height: int = 1200) -> bytes:
    output = io.BytesIO()
    Image.new("RGB", (width, height), "teal").save(output, "JPEG")
    return output.getvalue()


def uploaded(rep: Any) -> Blob:
    blob = Blob(content_type="image/jpeg", size=1, width=1600, height=1200, uploaded_by=rep)
    blob.file.save(f"{blob.pk}.jpg", ContentFile(jpeg()), save=False)
    blob.save()
    return blob


def shelf_check(visit: Visit, *, at: dt.datetime = NOON, **values: Any) -> SubmissionPhoto:
    """A shelf check of the visit with its photo, as activity_submit records it."""
    activity = ActivityFactory(workflow=visit.workflow, kind=ActivityKind.FORM, fields=SHELF_FIELDS)
    blob = uploaded(visit.rep)
    submission = SubmissionFactory(
        visit=visit, activity=activity, submitted_at=at, values={**values, "photo_rayon": str(blob.pk)}
    )
    return SubmissionPhoto.objects.create(submission=submission, key="photo_rayon", blob=blob)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def team(db):  # type: ignore[no-untyped-def]
    bintou = SupervisorFactory(username="bintou", is_staff=True)
    awa = RepFactory(username="awa", first_name="Awa", last_name="Koné")
    koffi = RepFactory(username="koffi", first_name="Koffi", last_name="Yao")
    Profile.objects.create(user=awa, supervisor=bintou)
    return {"bintou": bintou, "awa": awa, "koffi": koffi}


def text_of(html: str) -> str:
    return " ".join(unescape(strip_tags(html)).split())


# Distances ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("metres", "english", "french"),
    [
        (22.23901604675471, "22 m", "22 m"),
        (0.4, "0 m", "0 m"),
        (999.4, "999 m", "999 m"),
        (999.6, "1.0 km", "1,0 km"),
        (1234.5, "1.2 km", "1,2 km"),
        (15_250, "15.3 km", "15,3 km"),
        (None, "", ""),
    ],
)
def test_a_distance_reads_in_metres_below_a_kilometre_and_in_kilometres_above(metres, english, french):
    with translation.override("en"):
        shown_in_english = distance_text(metres)
    with translation.override("fr"):
        shown_in_french = distance_text(metres)

    assert (shown_in_english, shown_in_french) == (english, french)


# A visit's page -----------------------------------------------------------------------------------------------------


def test_a_visits_page_shows_each_answer_as_label_and_value_with_its_photo_as_a_thumbnail(clerk_client, team):
    visit = VisitFactory(rep=team["awa"], distance_m=22.23901604675471, checked_in_at=NOON)
    photo = shelf_check(
        visit, part_rayon=1500, rupture=True, emplacement="Tête de gondole", releve="2026-11-19", ca="12500.5"
    )

    html = clerk_client.get(f"/admin/workflows/visit/{visit.pk}/change/").content.decode()

    answers = [text_of(pair) for pair in re.findall(r'<div class="answer">(.*?)</div>', html, re.S)]
    assert answers == [
        "Shelf share (%): 1,500",
        "Out of stock: Yes",
        "Placement: Tête de gondole",
        "Counted on: 11/19/2026",
        "Turnover: 12,500.5",
        "Shelf photo:",
    ]
    thumbnail = (
        f'<a class="photo-link" href="/admin/workflows/submissionphoto/{photo.pk}/image/">'
        f'<img src="/admin/workflows/submissionphoto/{photo.pk}/thumbnail/" alt="Shelf photo" loading="lazy"></a>'
    )
    assert thumbnail in html
    assert "22 m" in text_of(html) and "22.239" not in html


def test_a_visits_page_reads_in_french_for_a_clerk_reading_french(clerk_fr, team):
    visit = VisitFactory(rep=team["awa"], distance_m=1234.5, checked_in_at=NOON)
    shelf_check(visit, part_rayon=1500, rupture=False, emplacement="Rayon principal", releve="2026-11-19", ca="12500.5")

    html = clerk_fr.get(f"/admin/workflows/visit/{visit.pk}/change/").content.decode()

    labels_and_values = [
        (text_of(label), text_of(value)) for label, value in re.findall(r"<dt>(.*?)</dt>\s*<dd>(.*?)</dd>", html, re.S)
    ]
    assert [value for _label, value in labels_and_values] == [
        "1 500",
        "Non",
        "Rayon principal",
        "19/11/2026",
        "12 500,5",
        "",
    ]
    assert [label.rstrip(" :") for label, _value in labels_and_values] == [
        "Part de rayon (%)",
        "Rupture de stock",
        "Emplacement",
        "Relevé le",
        "Chiffre d'affaires",
        "Photo du rayon",
    ]
    assert "1,2 km" in text_of(html)


def test_a_visits_page_takes_the_same_queries_whatever_it_recorded(clerk_client, team, django_assert_num_queries):
    visit = VisitFactory(rep=team["awa"], checked_in_at=NOON)
    for minutes in range(5):
        shelf_check(visit, at=NOON + dt.timedelta(minutes=minutes), part_rayon=minutes)

    # Once first, as a running server has: the content types' cache is warm then (the tests' flush empties it).
    clerk_client.get(f"/admin/workflows/visit/{visit.pk}/change/")
    # The session; the user; their permissions (own, groups'); whether they supervise; the visit with its client, rep
    # and workflow; its submissions with their activities and orders; their lines; their photos; its notes.
    with django_assert_num_queries(10):
        response = clerk_client.get(f"/admin/workflows/visit/{visit.pk}/change/")

    assert len(response.context["submissions"]) == 5


# Photos -------------------------------------------------------------------------------------------------------------


def test_a_thumbnail_is_a_small_jpeg_of_the_photo_and_the_link_opens_the_photo(clerk_client, team):
    photo = shelf_check(VisitFactory(rep=team["awa"]))

    thumbnail = clerk_client.get(f"{GALLERY}{photo.pk}/thumbnail/")
    full = clerk_client.get(f"{GALLERY}{photo.pk}/image/")

    small = Image.open(io.BytesIO(b"".join(thumbnail.streaming_content)))
    assert (thumbnail["Content-Type"], small.format, max(small.size)) == ("image/jpeg", "JPEG", THUMBNAIL_SIDE)
    assert b"".join(full.streaming_content) == photo.blob.file.open("rb").read()
    assert "no-store" in thumbnail["Cache-Control"] and "no-store" in full["Cache-Control"]


def test_a_supervisor_sees_their_reps_photos_and_no_others(team):
    ours = shelf_check(VisitFactory(rep=team["awa"]))
    theirs = shelf_check(VisitFactory(rep=team["koffi"]))
    supervisor = signed_in(team["bintou"])

    listed = [photo.pk for photo in supervisor.get(GALLERY).context["cl"].result_list]

    assert listed == [ours.pk]
    assert supervisor.get(f"{GALLERY}{ours.pk}/thumbnail/").status_code == 200
    assert supervisor.get(f"{GALLERY}{theirs.pk}/thumbnail/").status_code == 404
    assert supervisor.get(f"{GALLERY}{theirs.pk}/image/").status_code == 404


def test_a_rep_or_a_stranger_is_sent_to_sign_in_for_a_photo(team):
    photo = shelf_check(VisitFactory(rep=team["awa"]))

    for http in (signed_in(team["awa"]), HttpClient()):
        response = http.get(f"{GALLERY}{photo.pk}/image/")
        assert response.status_code == 302 and response["Location"].startswith("/admin/login/")


# The gallery --------------------------------------------------------------------------------------------------------


@pytest.fixture
def photos(team):  # type: ignore[no-untyped-def]
    marche, gare = ClientFactory(name="Épicerie du Marché"), ClientFactory(name="Boutique de la Gare")
    day = dt.timedelta(days=1)
    awa_at_marche = VisitFactory(rep=team["awa"], client=marche, checked_in_at=NOON - 40 * day)
    return {
        "old": shelf_check(awa_at_marche, at=NOON - 40 * day),
        "old_again": shelf_check(awa_at_marche, at=NOON - 40 * day + dt.timedelta(minutes=5)),
        "koffi_gare": shelf_check(VisitFactory(rep=team["koffi"], client=gare), at=NOON - day),
        "awa_gare": shelf_check(VisitFactory(rep=team["awa"], client=gare), at=NOON),
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["awa_gare", "koffi_gare", "old_again", "old"]),
        ("?client=gare", ["awa_gare", "koffi_gare"]),
        ("?client={marche}", ["old_again", "old"]),
        ("?rep={awa}", ["awa_gare", "old_again", "old"]),
        ("?visit={old_visit}", ["old_again", "old"]),
        ("?client=gare&rep={koffi}", ["koffi_gare"]),
        ("?submission__submitted_at__day=19&submission__submitted_at__month=11&submission__submitted_at__year=2026",
         ["koffi_gare"]),
        ("?visit=not-a-visit", []),
    ],
)  # fmt: skip
def test_the_gallery_shows_the_photos_its_filters_keep_newest_first(clerk_client, team, photos, query, expected):
    old = photos["old"].submission
    url = GALLERY + query.format(
        marche=old.client_id, awa=team["awa"].pk, koffi=team["koffi"].pk, old_visit=old.visit_id
    )

    response = clerk_client.get(url)

    assert [photo.pk for photo in response.context["cl"].result_list] == [photos[name].pk for name in expected]


def test_each_photo_of_the_gallery_links_to_its_thumbnail_photo_and_its_client_rep_and_visit_as_filters(
    clerk_client, team, photos
):
    photo = photos["koffi_gare"]
    submission = photo.submission

    html = clerk_client.get(GALLERY + "?rep=" + str(team["koffi"].pk)).content.decode()

    assert f'href="{GALLERY}{photo.pk}/image/"><img src="{GALLERY}{photo.pk}/thumbnail/"' in html
    assert f'href="?client={submission.client_id}&amp;rep={team["koffi"].pk}"' in html
    assert f'href="?rep={team["koffi"].pk}&amp;visit={submission.visit_id}"' in html
    assert "Koffi Yao" in html and "Boutique de la Gare" in html


def test_the_gallery_takes_the_same_queries_whatever_the_number_of_photos(
    clerk_client, team, django_assert_num_queries
):
    shop = ClientFactory(name="Épicerie du Marché")
    for number in range(12):
        shelf_check(VisitFactory(rep=team["awa"] if number % 2 else team["koffi"], client=shop))

    # The session; the user; their permissions (own, groups'); whether they supervise; the reps of the rep filter;
    # the count of the page; the page of photos with their submissions, activities, clients, visits and reps; the
    # first and last dates, then the days, of the date hierarchy.
    with django_assert_num_queries(10):
        response = clerk_client.get(GALLERY)

    assert len(response.context["cl"].result_list) == 12


def test_the_gallery_is_paginated(clerk_client, team):
    visit = VisitFactory(rep=team["awa"])
    made = [shelf_check(visit, at=NOON + dt.timedelta(minutes=n)) for n in range(50)]

    first = clerk_client.get(GALLERY).context["cl"]
    second = clerk_client.get(GALLERY + "?p=2").context["cl"]

    assert (first.result_count, len(first.result_list), len(second.result_list)) == (50, 48, 2)
    assert [photo.pk for photo in second.result_list] == [made[1].pk, made[0].pk]


# The submissions' list -----------------------------------------------------------------------------------------------


def test_the_submissions_list_sums_up_each_ones_answers_and_a_supervisor_sees_their_reps_only(clerk_client, team):
    ours = shelf_check(VisitFactory(rep=team["awa"]), part_rayon=35, rupture=False).submission
    theirs = shelf_check(VisitFactory(rep=team["koffi"]), at=NOON + dt.timedelta(hours=1), part_rayon=10).submission

    clerks = clerk_client.get("/admin/workflows/activitysubmission/")
    supervisors = signed_in(team["bintou"]).get("/admin/workflows/activitysubmission/")
    page = clerk_client.get(f"/admin/workflows/activitysubmission/{ours.pk}/change/").content.decode()

    assert [s.pk for s in clerks.context["cl"].result_list] == [theirs.pk, ours.pk]
    assert "Shelf share (%): 35; Out of stock: No; Shelf photo: photo" in text_of(clerks.content.decode())
    assert [s.pk for s in supervisors.context["cl"].result_list] == [ours.pk]
    assert f"/admin/workflows/submissionphoto/{ours.photos.get().pk}/thumbnail/" in page


def test_a_photo_whose_upload_never_arrived_says_so(clerk_client, team):
    visit = VisitFactory(rep=team["awa"])
    activity = ActivityFactory(workflow=visit.workflow, kind=ActivityKind.FORM, fields=SHELF_FIELDS)
    SubmissionFactory(visit=visit, activity=activity, values={"photo_rayon": str(uuid.uuid4())})

    html = clerk_client.get(f"/admin/workflows/visit/{visit.pk}/change/").content.decode()

    assert "Shelf photo: Photo not received" in text_of(html)


def test_the_submissions_list_takes_the_same_queries_whatever_the_number_of_submissions(
    clerk_client, team, django_assert_num_queries
):
    for number in range(12):
        shelf_check(VisitFactory(rep=team["awa"] if number % 2 else team["koffi"]), part_rayon=number)

    # The session; the user; their permissions (own, groups'); whether they supervise; the reps of the rep filter;
    # the activities of the activity filter; the count of the page, then of all; the page of submissions with their
    # activities, clients, visits, reps and orders; the first and last dates, then the days, of the date hierarchy.
    with django_assert_num_queries(12):
        response = clerk_client.get("/admin/workflows/activitysubmission/")

    assert len(response.context["cl"].result_list) == 12

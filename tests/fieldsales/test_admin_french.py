"""The admin in French: dates as Django's French writes them (30 septembre 2011, 30/09/2011 in a form), never as
stored (2011-09-30); django-axes' section and pages in French."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from kpis.models import Target
from tests.factories import RepFactory, make_client


@pytest.fixture
def manager_fr(manager_client):  # type: ignore[no-untyped-def]
    manager_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    return manager_client


def test_a_french_admin_page_shows_dates_the_french_way(clerk_fr, pos_list):
    client = make_client(
        pos_list, attributes={"quartier": "Cocody", "categorie": "Boutique", "ouverture": "2011-09-30"}
    )
    rep = RepFactory(username="awa")
    Target.objects.create(rep=rep, period_start=dt.date(2026, 7, 1), period_end=dt.date(2026, 7, 31), value=Decimal(10))

    listed = clerk_fr.get(reverse("admin:clients_client_changelist"), {"client_list__id__exact": pos_list.pk})
    form = clerk_fr.get(reverse("admin:clients_client_change", args=[client.pk])).context["adminform"].form
    targets = clerk_fr.get(reverse("admin:kpis_target_changelist")).content.decode()

    assert "30 septembre 2011" in listed.content.decode()
    assert "2011-09-30" not in listed.content.decode()
    assert form["attr_ouverture"].value() == dt.date(2011, 9, 30)
    assert 'value="30/09/2011"' in str(form["attr_ouverture"])
    assert "01/07/2026–31/07/2026" in targets


def test_the_admin_index_names_the_sign_in_lockouts_section_in_french(manager_fr):
    index = manager_fr.get(reverse("admin:index")).content.decode()

    assert "Sécurité des connexions" in index
    assert ">Axes<" not in index


def test_the_lockout_pages_speak_french(manager_fr):
    at = timezone.make_aware(dt.datetime(2026, 9, 30, 14, 5))
    locked = AccessAttempt.objects.create(username="awa", ip_address="10.0.0.1", user_agent="t", failures_since_start=5)
    AccessAttempt.objects.create(username="koffi", ip_address="10.0.0.2", user_agent="t", failures_since_start=1)
    AccessAttempt.objects.update(attempt_time=at)  # set on create whatever is given

    listed = manager_fr.get(reverse("admin:axes_accessattempt_changelist")).content.decode()
    page = manager_fr.get(reverse("admin:axes_accessattempt_change", args=[locked.pk])).content.decode()

    assert "Bloqué" in listed and "4 tentatives restantes" in listed and "Par bloqué" in listed
    assert "Supprimer les tentatives expirées" in listed
    assert "Locked Out" not in listed and "Attempt Remaining" not in listed
    assert "awa — 30 septembre 2026 14:05" in page
    assert "Attempted Access" not in page

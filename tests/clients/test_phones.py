"""The phone rule (clients/phones.py): one rule for a client's phone, its phone attributes and statement recipients,
numbers stored in E.164 read in the list's country, shown as that country dials them."""

from __future__ import annotations

import html

import phonenumbers
import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from clients.phones import NOT_PHONE, phone_canonical, phone_display, phone_parse, region_choices, validate_region
from clients.services import client_create, client_update
from fieldsales.spreadsheets import FORMULA_STARTS
from tests.factories import make_client

REGIONS = sorted(phonenumbers.SUPPORTED_REGIONS)
NUMBER_TYPES = [phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE]


def _examples() -> list[phonenumbers.PhoneNumber]:
    numbers = []
    for region in REGIONS:
        for number_type in NUMBER_TYPES:
            number = phonenumbers.example_number_for_type(region, number_type)
            if number is not None and phonenumbers.is_valid_number(number):
                numbers.append(number)
    return numbers


EXAMPLES = _examples()
valid_numbers = st.sampled_from(EXAMPLES)
regions = st.sampled_from(REGIONS)
SEPARATORS = st.sampled_from([" ", ".", "-", "", "  "])


def e164(number: phonenumbers.PhoneNumber) -> str:
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


# Properties --------------------------------------------------------------------------------------------------


@given(value=st.one_of(st.text(max_size=40), st.integers(), st.none(), st.booleans(), st.floats()), region=regions)
def test_any_input_is_a_number_in_e164_or_the_phone_message(value, region):
    try:
        stored = phone_parse(value, region=region)
    except ValidationError as error:
        assert [e.message for e in error.error_list] == [NOT_PHONE]
        return
    assert stored.startswith("+") and stored[1:].isdigit()
    # What is stored reads back as itself, whatever the list's country.
    assert phone_parse(stored, region="FR") == stored


@given(number=valid_numbers, region=regions)
def test_a_number_as_shown_in_a_lists_country_reads_back_as_the_same_number(number, region):
    shown = phone_display(e164(number), region=region)
    assert phone_parse(shown, region=region) == e164(number)


@given(number=valid_numbers, separator=SEPARATORS)
def test_a_number_of_the_lists_country_typed_nationally_with_any_separators_is_that_number(number, separator):
    region = phonenumbers.region_code_for_number(number)
    national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    typed = separator.join(national.split(" "))
    assert phone_parse(typed, region=region) == e164(number)


@given(number=valid_numbers, region=regions)
def test_a_number_shown_to_a_clerk_never_starts_as_a_spreadsheet_formula_except_with_a_plus(number, region):
    shown = phone_display(e164(number), region=region)
    assert not shown.startswith(tuple(start for start in FORMULA_STARTS if start != "+"))


@given(number=valid_numbers)
def test_numbers_of_the_lists_country_are_shown_in_its_national_format(number):
    region = phonenumbers.region_code_for_number(number)
    assert phone_display(e164(number), region=region) == phonenumbers.format_number(
        number, phonenumbers.PhoneNumberFormat.NATIONAL
    )


# Examples ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "region", "stored"),
    [
        ("07 01 02 03 04", "CI", "+2250701020304"),
        ("+225 07 01 02 03 04", "FR", "+2250701020304"),
        ("00225 0701020304", "CI", "+2250701020304"),
        ("06 12 34 56 78", "FR", "+33612345678"),
        ("(0)6.12.34.56.78", "FR", "+33612345678"),
        ("0033 6 12 34 56 78", "CI", "+33612345678"),
    ],
)
def test_a_number_is_stored_in_e164_read_in_the_lists_country(typed, region, stored):
    assert phone_parse(typed, region=region) == stored


@pytest.mark.parametrize("typed", ["+225 07 07 07 07", "12ab", "07 01", "=1+1", "+cmd|' /C calc'!A0", "0" * 300])
def test_what_is_no_dialable_number_is_refused(typed):
    with pytest.raises(ValidationError):
        phone_parse(typed, region="CI")


def test_the_message_names_the_lists_country_and_an_example_in_the_clerks_language():
    with translation.override("fr"), pytest.raises(ValidationError) as refused:
        phone_parse("12", region="FR")
    [message] = refused.value.messages
    assert "France" in message
    assert "06 12 34 56 78" in message


def test_a_number_of_the_lists_country_shows_nationally_and_another_as_dialled_from_there():
    assert phone_display("+2250701020304", region="CI") == "07 01 02 0304"
    assert phone_display("+33612345678", region="CI") == "00 33 6 12 34 56 78"
    assert phone_display("+33612345678", region="FR") == "06 12 34 56 78"


def test_a_stored_text_the_rule_cannot_read_is_shown_and_compared_as_it_is():
    assert phone_display("+225 07 07 07 07", region="CI") == "+225 07 07 07 07"
    assert phone_canonical("+225 07 07 07 07", region="CI") == "+225 07 07 07 07"


def test_the_default_country_is_the_setting(settings):
    settings.PHONE_REGION = "FR"
    assert phone_parse("06 12 34 56 78", region=None) == "+33612345678"


def test_a_lists_country_must_be_one_that_has_phone_numbers():
    validate_region("CI")
    with pytest.raises(ValidationError):
        validate_region("XX")
    with translation.override("fr"):
        assert ("CI", "Côte d’Ivoire (CI)") in region_choices() or ("CI", "Côte d'Ivoire (CI)") in region_choices()


# The client's phone and its phone attributes, through the services ---------------------------------------------


@pytest.fixture
def phone_list(pos_list):
    pos_list.attributes.create(key="tel2", label_en="Second phone", label_fr="Téléphone 2", type="phone", order=20)
    pos_list.country = "FR"
    pos_list.save()
    return type(pos_list).objects.prefetch_related("attributes").get(pk=pos_list.pk)


@pytest.mark.django_db
def test_a_client_and_its_phone_attributes_are_stored_in_e164_read_in_the_lists_country(phone_list):
    client = client_create(
        user=None,
        client_list=phone_list,
        data={"name": "Tabac", "phone": "06 12 34 56 78", "attributes": {**_required(), "tel2": "01 23 45 67 89"}},
    )
    client.refresh_from_db()
    assert (client.phone, client.attributes["tel2"]) == ("+33612345678", "+33123456789")


@pytest.mark.django_db
def test_a_bad_phone_is_refused_on_its_field_and_nothing_is_written(phone_list):
    with pytest.raises(ValidationError) as refused:
        client_create(
            user=None,
            client_list=phone_list,
            data={"name": "Tabac", "phone": "12", "attributes": {**_required(), "tel2": "34"}},
        )
    assert set(refused.value.message_dict) == {"phone", "tel2"}
    assert refused.value.error_dict["phone"][0].message == NOT_PHONE
    assert not phone_list.clients.exists()


@pytest.mark.django_db
def test_the_same_number_typed_another_way_is_no_change(phone_list):
    client = client_create(
        user=None, client_list=phone_list, data={"name": "Tabac", "phone": "+33612345678", "attributes": _required()}
    )
    client_update(user=None, client=client, data={"phone": "06.12.34.56.78"})
    assert client.version == 1


@pytest.mark.django_db
def test_a_phone_stored_before_the_rule_does_not_stop_an_edit_of_the_rest(phone_list):
    client = client_create(user=None, client_list=phone_list, data={"name": "Tabac", "attributes": _required()})
    type(client).objects.filter(pk=client.pk).update(
        phone="+225 07 07 07 07", attributes={**_required(), "tel2": "bis"}
    )
    client.refresh_from_db()
    client_update(
        user=None,
        client=client,
        data={"name": "Tabac du coin", "phone": "+225 07 07 07 07", "attributes": {"tel2": "bis"}},
    )
    client.refresh_from_db()
    assert (client.name, client.phone, client.attributes["tel2"], client.version) == (
        "Tabac du coin",
        "+225 07 07 07 07",
        "bis",
        2,
    )
    with pytest.raises(ValidationError):
        client_update(user=None, client=client, data={"phone": "+225 07 07 07 08"})


def _required() -> dict[str, str]:
    return {"quartier": "Cocody", "categorie": "Boutique"}


# The admin: phones as the list's country reads them ------------------------------------------------------------


@pytest.fixture
def phoned(pos_list):
    client = make_client(pos_list, "Tabac du Port", {**_required()}, phone="+225 07 01 02 03 04")
    foreign = make_client(pos_list, "Boutique Paris", {**_required()}, phone="+33 6 12 34 56 78")
    return client, foreign


@pytest.mark.django_db
def test_the_changelist_shows_phones_in_the_lists_national_format(clerk_client, phoned):
    page = clerk_client.get("/admin/clients/client/").content.decode()

    assert "07 01 02 0304" in page
    assert "00 33 6 12 34 56 78" in page  # another country's number, as it is dialled from Côte d'Ivoire
    assert "+2250701020304" not in page


@pytest.mark.django_db
def test_the_change_page_shows_the_national_format_and_saving_it_changes_nothing(clerk_client, phoned):
    from tests.clients.test_admin import change_url, edit

    client, _foreign = phoned
    page = clerk_client.get(change_url(client))
    assert page.context["adminform"].form["phone"].value() == "07 01 02 0304"

    response = edit(clerk_client, client)

    assert response.status_code == 302
    client.refresh_from_db()
    assert (client.phone, client.version) == ("+2250701020304", 1)


@pytest.mark.django_db
def test_a_phone_typed_in_the_change_page_is_stored_in_e164_or_refused_in_the_clerks_language(clerk_client, phoned):
    from tests.clients.test_admin import change_url, edit

    client, _foreign = phoned
    assert edit(clerk_client, client, phone="05 05 05 05 05").status_code == 302
    client.refresh_from_db()
    assert client.phone == "+2250505050505"

    clerk_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    response = edit(clerk_client, client, phone="05 05")
    assert response.status_code == 200
    with translation.override("fr"):
        expected = str(NOT_PHONE) % {"country": "Côte d'Ivoire", "example": "01 23 45 6789"}
    # The page as the clerk reads it: the field's error, in French.
    assert expected in html.unescape(response.content.decode())
    assert list(response.context["adminform"].form.errors) == ["phone"]
    client.refresh_from_db()
    assert client.phone == "+2250505050505"
    assert clerk_client.get(change_url(client)).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["07 01 02 03 04", "0701020304", "+225 07 01 02 03 04", "0304"])
def test_a_clerk_finds_a_client_by_the_phone_as_they_read_it(clerk_client, phoned, query):
    response = clerk_client.get("/admin/clients/client/", {"q": query})

    assert [client.name for client in response.context["cl"].result_list] == ["Tabac du Port"]


@pytest.mark.django_db
def test_a_lists_country_is_chosen_by_name(manager_client, pos_list):
    page = manager_client.get(f"/admin/clients/clientlist/{pos_list.pk}/change/")
    choices = dict(page.context["adminform"].form.fields["country"].choices)
    assert choices["CI"] == "Côte d'Ivoire (CI)"
    assert page.context["adminform"].form["country"].value() == "CI"

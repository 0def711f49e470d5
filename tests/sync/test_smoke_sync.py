from tests.factories import make_client
from tests.sync.conftest import op


def test_a_created_client_reaches_the_device_once(pos_list_editable, rep1, device1):
    results = device1.push(
        op(
            "client.create",
            data={
                "list": pos_list_editable.pk,
                "name": "Kiosque Awa",
                "attributes": {"quartier": "Plateau", "categorie": "Boutique"},
            },
        )
    )
    assert results[0]["status"] == "applied"
    device1.sync()
    assert [c["data"]["name"] for c in device1.store.values() if c["type"] == "client"] == ["Kiosque Awa"]
    make_client(pos_list_editable, reps=(rep1,), name="Second")
    changes = device1.sync()
    assert [c["data"]["name"] for c in changes] == ["Second"]

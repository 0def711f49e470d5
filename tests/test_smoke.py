import pytest


@pytest.mark.django_db
def test_admin_index_lists_clients_for_back_office(clerk_client):
    response = clerk_client.get("/admin/")
    assert response.status_code == 200
    assert b"/admin/clients/client/" in response.content

import pytest
from django.urls import reverse

from tests.conftest import member

ADMIN_PAGES = [
    "onboarding",
    "settings_profile",
    "settings_nrs",
    "settings_locations",
    "location_new",
    "settings_crypto_keys",
    "settings_api_keys",
    "settings_team",
]


@pytest.mark.parametrize("role", ["clerk", "reviewer", "approver"])
@pytest.mark.parametrize("page", ADMIN_PAGES)
def test_non_admins_get_a_clear_403_page_on_admin_pages(client, tenant, role, page):
    client.force_login(member(tenant, role))
    response = client.get(reverse(page), follow=True)
    assert response.status_code == 403
    html = response.content.decode()
    assert "have access to this page" in html
    assert "Your role is" in html and "Settings → Team" in html


@pytest.mark.parametrize("page", ADMIN_PAGES)
def test_admins_open_every_settings_page(admin_client, page):
    assert admin_client.get(reverse(page), follow=True).status_code == 200


@pytest.mark.parametrize("page", ADMIN_PAGES)  # the dashboard's `/` shows visitors the start page instead
def test_anonymous_visitors_are_sent_to_sign_in(client, page):
    response = client.get(reverse(page))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("role", ["clerk", "reviewer", "approver"])
def test_every_role_sees_the_dashboard_but_not_the_settings_link(client, tenant, role):
    client.force_login(member(tenant, role))
    html = client.get(reverse("dashboard")).content.decode()
    assert tenant.name in html
    assert reverse("settings_profile") not in html
    assert "An admin of your business completes these." in html


def test_non_admin_cannot_post_to_admin_actions(client, tenant):
    client.force_login(member(tenant, "clerk"))
    response = client.post(reverse("settings_api_keys"), {"name": "sneaky"})
    assert response.status_code == 403
    from django_scopes import scopes_disabled

    from tenants.models import ApiKey

    with scopes_disabled():
        assert not ApiKey.objects.exists()

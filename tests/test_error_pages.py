"""404 and 500 pages in the portal's layout with links onward; API paths keep answering JSON."""

import json

from django.test import RequestFactory

from portal import api_errors


def test_the_404_page_has_the_layout_and_links_onward(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert 'class="topbar"' in html and 'class="footer"' in html
    assert "Page not found" in html and 'href="/login/"' in html and 'href="/status"' in html


def test_the_500_page_has_the_layout_without_a_request_context():
    response = api_errors.handler500(RequestFactory().get("/invoices/"))
    assert response.status_code == 500
    html = response.content.decode()
    assert 'class="topbar"' in html and "Something went wrong on our side" in html and 'href="/status"' in html


def test_api_paths_keep_answering_json():
    for handler, status in ((api_errors.handler404, 404), (api_errors.handler500, 500)):
        request = RequestFactory().get("/api/v1/nope")
        response = handler(request) if status == 500 else handler(request, None)
        assert response.status_code == status
        assert response["Content-Type"].startswith("application/json") and json.loads(response.content)["error"]

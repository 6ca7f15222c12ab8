"""Fixtures for the operators' pages: signed-in test clients (real sign-in form, real CSRF tokens)."""

from __future__ import annotations

import re

import pytest

from helpline.services import accounts
from tests.browser_fixtures import PASSWORD

OPERATOR = "ops.lead@example.org"
STAFF = "sam.worker@example.org"


def csrf_of(client, path: str) -> str:
    """The CSRF token a page carries (base.html puts it in a meta tag)."""
    html = client.get(path).get_data(as_text=True)
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', html).group(1)


def signed_in_client(app, email: str):
    client = app.test_client()
    response = client.post(
        "/login", data={"email": email, "password": PASSWORD, "csrf_token": csrf_of(client, "/login")}
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


@pytest.fixture
def operator_client(app, helpline):
    accounts.add(helpline.store, OPERATOR, "operator", password=PASSWORD, passwords=helpline.passwords)
    return signed_in_client(app, OPERATOR)


@pytest.fixture
def staff_client(app, helpline):
    accounts.add(helpline.store, STAFF, "staff", password=PASSWORD, passwords=helpline.passwords)
    return signed_in_client(app, STAFF)


@pytest.fixture
def ops_post(operator_client):
    """POST a form on an /ops page as the signed-in operator, with the page's CSRF token."""

    def post(path: str, data: dict | None = None, page: str = "/ops", **kwargs):
        form = {"csrf_token": csrf_of(operator_client, page), **(data or {})}
        return operator_client.post(path, data=form, **kwargs)

    post.client = operator_client
    return post

"""A fresh account of its own on the shared in-process server, for account-wide resources.

Account Configuration, Address Configurations and Credentials belong to the account,
not to a service: a test that changes them works in an account no other test uses.
"""

from dataclasses import dataclass

import pytest
from twilio.rest import Client

from chinwag.domain.accounts import create_account
from chinwag.testing import twilio_client
from tests.conftest import Api
from tests.dashboard import Dashboard
from tests.databases import on_database
from tests.inprocess import AppServer


@dataclass(frozen=True)
class Tenant:
    sid: str
    auth_token: str
    api: Api  # raw HTTP as this account
    client: Client  # twilio-python as this account


def new_tenant(server: AppServer, name: str = "tenant") -> Tenant:
    account = on_database(server.database_url, lambda conn: create_account(conn, name))
    return Tenant(
        account.sid,
        account.auth_token,
        Api(server, (account.sid, account.auth_token)),
        twilio_client(server, account.sid, account.auth_token),
    )


@pytest.fixture
def tenant(app_server: AppServer) -> Tenant:
    return new_tenant(app_server)


@pytest.fixture
def dashboard(tenant: Tenant, app_server: AppServer) -> Dashboard:
    """The dashboard signed in as a fresh account of its own on the shared server."""
    signed_in = Dashboard(app_server)
    assert signed_in.sign_in(tenant.sid, tenant.auth_token).status_code == 200
    return signed_in

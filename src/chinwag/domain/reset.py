"""Reset: an account back to the state it was created in, in one transaction.

Everything the account made goes (store/account_data.py finds it from the table
metadata): services but the default, conversations with their participants,
messages, receipts and webhooks, users, bindings, roles, address configurations,
credentials, service webhook settings, and its deliveries with their attempts. What
a new account has is kept or given back: the account and its API keys, its default
Conversation Service (same SID, emptied, with fresh default roles and configuration,
domain/service_configuration.set_up) and its default Messaging Service SID, with the
default conversation timers cleared. Twilio has no such operation (chinwag's own API;
docs/compatibility.md, "Reset").
"""

from dataclasses import replace

from sqlalchemy import Connection

from chinwag.domain.accounts import DEFAULT_SERVICE_NAME
from chinwag.domain.service_configuration import set_up
from chinwag.domain.services import create_service
from chinwag.store import account_configurations, services
from chinwag.store.account_data import delete_account_data


def reset_account(conn: Connection, account_sid: str) -> dict[str, int]:
    """Reset the account `account_sid`; returns the rows deleted per table."""
    default = services.get_default_service(conn, account_sid)
    deleted = delete_account_data(conn, account_sid, default.sid if default else None)
    if default is None:  # the default service was deleted: a new account would have one
        create_service(conn, account_sid, DEFAULT_SERVICE_NAME, is_default=True)
    else:
        set_up(conn, default)
    settings = account_configurations.get_configuration(conn, account_sid)
    if settings is not None:
        account_configurations.save_configuration(
            conn, replace(settings, default_inactive_timer=None, default_closed_timer=None)
        )
    return deleted

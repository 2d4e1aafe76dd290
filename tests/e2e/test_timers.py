"""Timers are stored, so one that came due while the server was down fires after a restart."""

import time

import pytest
from twilio.rest import Client

from chinwag.testing import WebhookReceiver
from tests.conftest import Api, receiver_for
from tests.databases import run_sql
from tests.inprocess import AppServer


def test_a_timer_due_during_downtime_fires_after_restart(fresh_app: AppServer) -> None:
    api = Api(fresh_app)
    with receiver_for(fresh_app) as receiver:
        conversation = api.post("/v1/Conversations", {"Timers.Inactive": "PT1M"}).json()
        assert conversation["timers"]["date_inactive"]
        body = {
            "Target": "webhook",
            "Configuration.Url": receiver.url + "/timer",
            "Configuration.Filters": "onConversationStateUpdated",
        }
        api.post(f"/v1/Conversations/{conversation['sid']}/Webhooks", body)
        fresh_app.stop()
        # Make the timer due, as if a minute had passed while the server was down.
        run_sql(
            fresh_app.database_url,
            "UPDATE conversations SET date_inactive = '2000-01-01 00:00:00.000000'",
        )
        fresh_app.start()

        [request] = receiver.wait_for(1)
        assert request.signature_valid
        assert request.form["EventType"] == "onConversationStateUpdated"
        assert (request.form["StateFrom"], request.form["StateTo"]) == ("active", "inactive")
        fetched = api.get(f"/v1/Conversations/{conversation['sid']}").json()
        assert fetched["state"] == "inactive" and "date_inactive" not in fetched["timers"]


def into_the_next_second() -> None:
    """Wait until the clock is past the whole second it reads now (half a second on average,
    not a fixed 1.1): what the server stamps from then on is at least a second later."""
    time.sleep(1.0 - time.time() % 1.0 + 0.01)


def test_a_message_or_participant_restarts_the_timers(client: Client) -> None:
    conversation = client.conversations.v1.conversations.create(
        timers_inactive="PT1M", timers_closed="PT10M"
    )
    first = conversation.timers  # ISO 8601 UTC strings: they compare in time order
    into_the_next_second()  # the timers count in whole seconds on the wire
    conversation.messages.create(author="alice", body="still here")
    after_message = conversation.fetch().timers
    assert after_message["date_inactive"] > first["date_inactive"]
    assert after_message["date_closed"] > first["date_closed"]
    into_the_next_second()
    conversation.participants.create(identity="bob")
    after_participant = conversation.fetch().timers
    assert after_participant["date_inactive"] > after_message["date_inactive"]


def test_a_message_wakes_an_inactive_conversation(
    client: Client, api: Api, webhook_receiver: WebhookReceiver
) -> None:
    conversation = client.conversations.v1.conversations.create(
        state="inactive", timers_inactive="PT1M"
    )
    assert conversation.state == "inactive" and "date_inactive" not in conversation.timers
    body = {
        "Target": "webhook",
        "Configuration.Url": webhook_receiver.url + "/wake",
        "Configuration.Filters": ["onConversationStateUpdated", "onMessageAdded"],
    }
    api.post(f"/v1/Conversations/{conversation.sid}/Webhooks", body)

    conversation.messages.create(author="alice", body="hello?", x_twilio_webhook_enabled="true")

    woken = conversation.fetch()
    assert woken.state == "active"
    assert woken.timers["date_inactive"]  # counting again from the message
    state_change, added = webhook_receiver.wait_for(2)
    assert state_change.signature_valid
    assert state_change.form["EventType"] == "onConversationStateUpdated"
    assert (state_change.form["StateFrom"], state_change.form["StateTo"]) == ("inactive", "active")
    assert state_change.form["Reason"] == "EVENT"
    assert added.form["EventType"] == "onMessageAdded"


@pytest.mark.parametrize("zero", ["PT0S", "PT0M", "P0D", "PT0H0M0S"])
def test_a_zero_timer_is_no_timer(client: Client, zero: str) -> None:
    """PT0S disables a timer (support.twilio.com 46619837838235, "Default Inactive Timer in
    Twilio Conversations Classic"; errors/50380 lists PT0S among valid values), though the
    minimums are 1 and 10 minutes: on create and on update, for either timer."""
    conversations = client.conversations.v1.conversations
    untimed = conversations.create(timers_inactive=zero, timers_closed=zero)
    assert untimed.timers == {}
    half = conversations.create(timers_inactive="PT5M", timers_closed=zero)
    assert set(half.timers) == {"date_inactive"}

    timed = conversations.create(timers_inactive="PT5M", timers_closed="PT1H")
    assert set(timed.timers) == {"date_inactive", "date_closed"}
    assert set(timed.update(timers_inactive=zero).timers) == {"date_closed"}
    assert timed.update(timers_closed=zero).timers == {}
    timed.messages.create(author="alice", body="activity restarts no disabled timer")
    assert timed.fetch().timers == {}

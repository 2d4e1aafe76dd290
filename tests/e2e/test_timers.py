"""Timers are stored, so one that came due while the server was down fires after a restart."""

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

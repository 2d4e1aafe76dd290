"""The simulated carrier: what SMS and WhatsApp recipients receive, their receipts moving
from `sent` to `delivered` (once, after --receipt-delay) or failing at Twilio's magic
numbers, and carrier reports through `POST /chinwag/v1/Receipts/{Sid}`.
"""

import time
from datetime import timedelta

import pytest

from chinwag.domain.carrier import advance_due_receipts
from chinwag.twilio.dates import utc_now
from tests.conftest import app_and_receiver, assert_twilio_error, customer_number, wait_until
from tests.databases import on_database
from tests.e2e.channels import Shop, open_shop


def test_an_agents_reply_reaches_each_customer_with_a_receipt(shop: Shop) -> None:
    shop.configure("default")
    customer = customer_number()
    body = shop.inbound(customer, "help").json()
    conversation = shop.conversation(body["conversation_sid"])
    conversation.participants.create(identity="agent-" + customer)
    reply = conversation.messages.create(author="agent-" + customer, body="On its way!")

    [sent] = shop.outbound(To=customer)
    assert (sent["from"], sent["to"], sent["body"]) == (shop.number, customer, "On its way!")
    assert sent["message_sid"] == reply.sid and sent["participant_sid"] == body["participant_sid"]
    assert sent["sid"].startswith("SM") and sent["status"] in ("sent", "delivered")
    [receipt] = conversation.messages(reply.sid).delivery_receipts.list()
    assert (receipt.sid, receipt.channel_message_sid) == (sent["delivery_receipt_sid"], sent["sid"])

    # `sent`, then `delivered` after --receipt-delay (1 s by default), each fired.
    delivered = wait_until(
        lambda: [e for e in shop.events("onDeliveryUpdated") if e.form["Status"] == "delivered"]
    )
    statuses = [e.form["Status"] for e in shop.events("onDeliveryUpdated")]
    assert statuses == ["sent", "delivered"]
    form = delivered[0].form
    assert delivered[0].signature_valid
    assert (form["DeliveryReceiptSid"], form["ChannelMessageSid"]) == (receipt.sid, sent["sid"])
    assert (form["MessageSid"], form["ParticipantSid"]) == (reply.sid, body["participant_sid"])
    assert (form["ErrorCode"], form["ChatServiceSid"]) == ("0", shop.service)
    assert shop.outbound(To=customer)[0]["status"] == "delivered"
    assert conversation.messages(reply.sid).fetch().delivery == {
        "total": 1,
        "sent": "all",
        "delivered": "all",
        "read": "none",
        "failed": "none",
        "undelivered": "none",
    }


@pytest.mark.parametrize(("number", "code"), [("+15005550001", 21211), ("+15005550009", 21614)])
def test_magic_numbers_fail_with_twilios_codes(shop: Shop, number: str, code: int) -> None:
    conversation = shop.tenant.client.conversations.v1.services(shop.service).conversations.create()
    conversation.participants.create(
        messaging_binding_address=number, messaging_binding_proxy_address=shop.number
    )
    message = conversation.messages.create(author="agent", body="hello?")
    [sent] = shop.outbound(To=number)
    assert (sent["status"], sent["error_code"]) == ("failed", code)
    [receipt] = conversation.messages(message.sid).delivery_receipts.list()
    assert (receipt.status, receipt.error_code) == ("failed", code)
    [report] = wait_until(lambda: shop.events("onDeliveryUpdated"))
    assert (report.form["Status"], report.form["ErrorCode"]) == ("failed", str(code))
    assert conversation.messages(message.sid).fetch().delivery["failed"] == "all"
    time.sleep(1.2)  # past the receipt delay: a failed receipt is never delivered
    assert shop.outbound(To=number)[0]["status"] == "failed"


def test_whatsapp_recipients_get_wa_sids(shop: Shop) -> None:
    conversation = shop.tenant.client.conversations.v1.services(shop.service).conversations.create()
    customer = "whatsapp:" + customer_number()
    conversation.participants.create(
        messaging_binding_address=customer, messaging_binding_proxy_address="whatsapp:+15550000"
    )
    conversation.messages.create(author="agent", body="hola")
    [sent] = shop.outbound(To=customer)
    assert sent["sid"].startswith("WA") and sent["from"] == "whatsapp:+15550000"


def test_a_carrier_report_moves_any_receipt(shop: Shop) -> None:
    conversation = shop.tenant.client.conversations.v1.services(shop.service).conversations.create()
    customer = customer_number()
    conversation.participants.create(
        messaging_binding_address=customer, messaging_binding_proxy_address=shop.number
    )
    message = conversation.messages.create(author="agent", body="read me")
    [sent] = shop.outbound(To=customer)
    path = f"/chinwag/v1/Receipts/{sent['delivery_receipt_sid']}"
    read = shop.api.post(path, {"Status": "read"})
    assert read.status_code == 200, read.text
    assert (read.json()["status"], read.json()["sid"]) == ("read", sent["delivery_receipt_sid"])
    assert conversation.messages(message.sid).fetch().delivery["read"] == "all"
    time.sleep(1.2)  # the pending `delivered` was replaced by the report: it stays read
    assert shop.outbound(To=customer)[0]["status"] == "read"
    undelivered = shop.api.post(path, {"Status": "undelivered", "ErrorCode": "30003"})
    assert (undelivered.json()["status"], undelivered.json()["error_code"]) == (
        "undelivered",
        30003,
    )
    reports = wait_until(lambda: len(shop.events("onDeliveryUpdated")) == 3)
    assert reports and [e.form["Status"] for e in shop.events("onDeliveryUpdated")] == [
        "sent",
        "read",
        "undelivered",
    ]
    assert_twilio_error(shop.api.post(path, {"Status": "lost"}), 400, 20001)
    assert_twilio_error(shop.api.post(path, {"Status": "delivered", "ErrorCode": "1"}), 400, 20001)
    assert_twilio_error(
        shop.api.post("/chinwag/v1/Receipts/DYnope", {"Status": "read"}), 404, 20404
    )


def test_with_no_receipt_delay_receipts_are_delivered_at_once(database_url: str) -> None:
    with (
        app_and_receiver(database_url, receipt_delay=0.0) as (server, _),
        open_shop(server) as shop,
    ):
        customer = customer_number()
        conversation = shop.tenant.client.conversations.v1.services(shop.service)
        created = conversation.conversations.create()
        created.participants.create(
            messaging_binding_address=customer, messaging_binding_proxy_address=shop.number
        )
        created.messages.create(author="agent", body="now")
        assert shop.outbound(To=customer)[0]["status"] == "delivered"
        statuses = wait_until(lambda: len(shop.events("onDeliveryUpdated")) == 2)
        assert statuses and [e.form["Status"] for e in shop.events("onDeliveryUpdated")] == [
            "sent",
            "delivered",
        ]


def test_a_due_receipt_moves_once(database_url: str) -> None:
    with (
        app_and_receiver(database_url, receipt_delay=3600.0) as (server, _),
        open_shop(server) as shop,
    ):
        customer = customer_number()
        created = shop.tenant.client.conversations.v1.services(shop.service).conversations.create()
        created.participants.create(
            messaging_binding_address=customer, messaging_binding_proxy_address=shop.number
        )
        created.messages.create(author="agent", body="later")
        assert shop.outbound(To=customer)[0]["status"] == "sent"
        later = utc_now() + timedelta(hours=2)
        assert on_database(server.database_url, lambda conn: advance_due_receipts(conn, later)) == 1
        assert on_database(server.database_url, lambda conn: advance_due_receipts(conn, later)) == 0
        assert shop.outbound(To=customer)[0]["status"] == "delivered"
        wait_until(lambda: len(shop.events("onDeliveryUpdated")) == 2)
        assert [e.form["Status"] for e in shop.events("onDeliveryUpdated")] == ["sent", "delivered"]

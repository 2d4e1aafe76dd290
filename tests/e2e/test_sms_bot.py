"""A bot's complete SMS conversation against chinwag, on loopback only: the customer writes,
the bot's webhook hears it and answers, an agent joins and answers too, the customer
receives both, and the receipts arrive as signed onDeliveryUpdated webhooks
(docs/channels.md walks through the same steps). Also: receipts pending at a restart are
made after it, and the `chinwag inbound` / `chinwag outbound list` commands.
"""

import time

from chinwag.testing import LiveServer, twilio_client
from tests.conftest import Api, customer_number, server_and_receiver, wait_until
from tests.e2e.channels import OUTBOUND, Shop, open_shop
from tests.inprocess import AppServer

BUSINESS = "+15557650000"


def test_a_bots_complete_sms_conversation(app_server: AppServer) -> None:
    with open_shop(app_server) as shop:
        converse(shop)


def converse(shop: Shop) -> None:
    client, customer = shop.tenant.client, customer_number()
    # 1. The business number auto-creates a conversation whose webhook is the bot.
    shop.configure()
    # 2. The customer writes.
    written = shop.inbound(customer, "Hi! Is my order #42 on its way?").json()
    conversation = client.conversations.v1.services(shop.service).conversations(
        written["conversation_sid"]
    )
    # 3. The bot hears it (signed, as Twilio signs) and answers through the REST API.
    [heard] = wait_until(lambda: shop.events("onMessageAdded", "/bot"))
    assert heard.signature_valid and heard.form["Body"] == "Hi! Is my order #42 on its way?"
    assert heard.form["Source"] == "SMS" and heard.form["Author"] == customer
    conversation.messages.create(author="bot", body="Let me get a human for you.")
    # 4. An agent joins and answers.
    conversation.participants.create(identity="agent-ada")
    answer = conversation.messages.create(author="agent-ada", body="Order #42 ships today.")
    # 5. The customer received both answers, from the business number.
    received = shop.outbound(To=customer)
    assert [(m["from"], m["body"]) for m in received] == [
        (shop.number, "Order #42 ships today."),
        (shop.number, "Let me get a human for you."),
    ]
    # 6. The receipts arrive: sent, then delivered, for each answer.
    wait_until(lambda: len(shop.events("onDeliveryUpdated")) == 4)
    reports = [
        (e.form["MessageSid"], e.form["Status"], e.signature_valid)
        for e in shop.events("onDeliveryUpdated")
    ]
    assert sorted(status for _, status, _ in reports) == ["delivered"] * 2 + ["sent"] * 2
    assert all(valid for _, _, valid in reports)
    assert (answer.sid, "delivered", True) in reports
    assert conversation.messages(answer.sid).fetch().delivery["delivered"] == "all"
    assert [m["status"] for m in shop.outbound(To=customer)] == ["delivered", "delivered"]


def test_a_receipt_due_during_a_restart_is_delivered_after_it(database_url: str) -> None:
    with server_and_receiver(database_url, "--receipt-delay", "2") as (server, _):
        client, api = twilio_client(server), Api(server)
        conversation = client.conversations.v1.conversations.create()
        customer = customer_number()
        conversation.participants.create(
            messaging_binding_address=customer, messaging_binding_proxy_address=BUSINESS
        )
        conversation.messages.create(author="agent", body="before the restart")
        [sent] = api.get(OUTBOUND).json()["messages"]
        assert sent["status"] == "sent"
        server.stop()
        time.sleep(2.2)  # due while no server runs
        server.start()
        wait_until(lambda: api.get(OUTBOUND).json()["messages"][0]["status"] == "delivered")


def test_the_inbound_and_outbound_commands(fresh_server: LiveServer) -> None:
    client, api = twilio_client(fresh_server), Api(fresh_server)
    client.conversations.v1.address_configurations.create(
        type="sms", address=BUSINESS, auto_creation_enabled=True, auto_creation_type="default"
    )
    customer = customer_number()
    output = fresh_server.cli("inbound", "--from", customer, "--to", BUSINESS, "Hello from a CLI")
    assert "(created)" in output
    [conversation] = client.conversations.v1.conversations.list()
    assert conversation.sid in output
    [message] = conversation.messages.list()
    assert (message.author, message.body) == (customer, "Hello from a CLI")
    again = fresh_server.cli("inbound", "--from", customer, "--to", BUSINESS, "Me again")
    assert "(existing)" in again and conversation.sid in again
    conversation.participants.create(identity="agent")
    conversation.messages.create(author="agent", body="Hi there")
    listed = fresh_server.cli("outbound", "list", "--to", customer)
    [sent] = api.get(OUTBOUND).json()["messages"]
    assert sent["sid"] in listed and "Hi there" in listed
    assert fresh_server.cli("outbound", "list", "--to", "+19999999999").count("SM") == 0

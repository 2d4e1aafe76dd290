"""What every transport does the same way, written once below them: operations taking an actor.

The REST API (`resources/`), the client SDK's socket (`twilsock/`) and the dashboard
(`ui/`) each build the `domain.actors.Actor` of a request or socket and call these
with it and with what the call needs (the `Database`, the `Sender`, the base URL its
URLs hang under), never with a web request: `addressing` resolves what a call names
(a service, a conversation) inside the actor's account, `prehooks` asks the
service's pre-event webhook, `inbound` runs a customer's SMS or WhatsApp message in,
`targets` holds a URL to --deny-private-targets. Below them: `domain/`, `delivery/`
(pre-events are asked on the request's path) and `store/`.
"""

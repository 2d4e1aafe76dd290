"""One module per Twilio resource: parse the request, make one domain call, shape the JSON.

Handlers never decide a rule; the route table in `routes.py` maps both path
families (`/v1/Services/{ChatServiceSid}/...` and the default-service `/v1/...`)
to the same handlers. One of three transports (beside `twilsock/` and `ui/`, which
never import it): a request's actor is `common.actor`, and what every transport does
alike (addressing, pre-event asking, the inbound path) is `operations/`, reached
through thin wrappers here (`addressing.py`, `prehooks.py`, `inbound.py`).
"""

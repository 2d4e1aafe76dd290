"""One module per Twilio resource: parse the request, make one domain call, shape the JSON.

Handlers never decide a rule; the route table in `routes.py` maps both path
families (`/v1/Services/{ChatServiceSid}/...` and the default-service `/v1/...`)
to the same handlers.
"""

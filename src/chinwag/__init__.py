"""chinwag: a self-hosted Twilio Conversations API server that delivers its webhooks for real."""

__version__ = "0.1.0"

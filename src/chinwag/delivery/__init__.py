"""Webhook delivery: signing, the HTTP sender, and the worker that drains the outbox."""

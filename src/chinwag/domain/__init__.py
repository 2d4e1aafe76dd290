"""Rules that hold whatever the transport: limits, names, validation, what a change does.

Domain functions take a `Connection` already inside a transaction, so a rule and the
writes it allows commit together or not at all. Who acts is `actors.Actor`, built by
each transport; what needs I/O beyond the database (pre-event webhooks, fetching
media) is `operations/`, above this package.
"""

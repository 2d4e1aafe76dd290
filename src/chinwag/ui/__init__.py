"""The web dashboard at /chinwag/ui/: server-rendered pages over the store and domain.

`routes.py` mounts it; `sessions.py` signs people in (a signed cookie, CSRF tokens);
`pages.py` renders, `actions.py` changes things, `live.py` streams what `changes.py`
finds new. Templates and static assets ship in the package (no build step, no CDN). A transport
beside `resources/` and `twilsock/` (it imports neither): changes go through
`operations/` and `domain/` as the signed-in account's dashboard actor
(`domain.actors.Actor.dashboard`), requests are read through `request_context`.
"""

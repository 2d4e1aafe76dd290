"""Twilsock: the websocket the Twilio client SDKs speak, and what is tunnelled through it.

A front door beside `resources/` and `ui/` (it imports neither; shared steps are
`operations/`, the aiohttp glue `request_context`, the socket's actor
`ClientSession.actor`): the Conversations JS SDK connects to
`/v3/wsconnect`, proves itself with an Access Token in `init`, then sends its HTTP
requests through the socket (`message` frames) and hears Sync events
(`notification` frames). `framing` is the wire format, `connection` one socket,
`router` the tunnelled requests, `client_api` the Conversations (`aim`) endpoints,
`sync_api` and `sync_shapes` the Sync (`cds`) objects, `feed` the live changes.
The protocol as read from the SDK's code: /work/shared/CLIENT-SDK.md, docs/client-sdk.md.
"""

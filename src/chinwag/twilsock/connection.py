"""One client SDK's socket: `init` with an Access Token, tunnelled requests, live events.

Frames and their answers follow twilsock 1.0.2 (`src/twilsock.ts`,
`src/packetinterface.ts`): every non-reply frame is answered with a `reply` of the
same id; a refused token answers `init` with status 401 and Twilio's error code
(20104 when expired, which the SDK reports as `tokenExpired`); a token about to
expire gets `client_update token_about_to_expire`; an expired one, `close` 410.
"""

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import Callable
from datetime import datetime
from functools import partial
from http import HTTPStatus
from typing import Any, TypeVar

from aiohttp import WSCloseCode, WSMsgType, web
from sqlalchemy import Connection

from chinwag.delivery.sender import Sender
from chinwag.domain.access_tokens import (
    AccessTokenRefused,
    token_about_to_expire_at,
    verify_access_token,
)
from chinwag.domain.client_state import ClientSession, own_participant, start_session
from chinwag.domain.conversations import find_conversation
from chinwag.domain.permissions import grants
from chinwag.request_context import DATABASE, base_url, sender
from chinwag.store.changes import Change
from chinwag.store.conversations import Conversation
from chinwag.store.database import Database
from chinwag.twilio.dates import utc_now
from chinwag.twilio.errors import ResourceNotFound, TwilioError
from chinwag.twilsock import framing, sync_shapes
from chinwag.twilsock.client_api import ENDPOINTS
from chinwag.twilsock.feed import SYNC_EVENT, Subscriptions
from chinwag.twilsock.reachability import add_presence, socket_closed, socket_opened
from chinwag.twilsock.router import route, tunnelled_request

logger = logging.getLogger("chinwag.twilsock")
T = TypeVar("T")
# The permissions an action in a conversation needs, read in its transaction.
Needs = Callable[[Connection, Conversation], list[str]]
PATH = "/v3/wsconnect"
TYPING_NOTIFICATION = "twilio.ipmsg.typing_indicator"
TYPING_TIMEOUT = 5
OK = {"code": 200, "status": "OK"}
CLOSE_TIMEOUT = 1.0  # seconds a closing socket waits for the client's close frame
INIT_TIMEOUT = 30.0  # seconds a socket may stay open without a verified `init`
HEARTBEAT = 30.0  # seconds between websocket pings; no pong within half of it closes
# Open sockets one server holds per user and per account: a browser tab each, with room
# for many tabs and test clients, and a bound on what one token can make a server hold.
MAX_SOCKETS_PER_IDENTITY = 20
MAX_SOCKETS_PER_ACCOUNT = 500


class SharedReads:
    """What every socket holding an object re-reads after a change, read once for all of
    them. A read is kept until the next change is heard, so a socket that takes its
    pending changes and then reads gets a read begun after it heard them."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self._reads: dict[tuple[Any, ...], asyncio.Future[Any]] = {}

    def heard(self) -> None:
        self._reads.clear()

    async def read(self, work: Callable[..., T], *args: Any) -> T:
        key = (work, *args)
        found = self._reads.get(key)
        if found is None:
            found = self._reads[key] = asyncio.ensure_future(self.database.read(work, *args))
            found.add_done_callback(partial(self._forget_failed, key))
        # Done already (SQLite reads on the loop): the value; else one socket closing
        # mid-read leaves the read to the others.
        result: T = found.result() if found.done() else await asyncio.shield(found)
        return result

    def _forget_failed(self, key: tuple[Any, ...], read: asyncio.Future[Any]) -> None:
        if (read.cancelled() or read.exception() is not None) and self._reads.get(key) is read:
            del self._reads[key]


class Hub:
    """The app's sockets and the one change listener they share (started with the first)."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.shared = SharedReads(database)
        self.tunnels: set[Tunnel] = set()
        self._unsubscribe: Any = None
        # Two sockets' `init` may start listening at once: only one listener may be made.
        self._listening = asyncio.Lock()

    def refusal(self, session: ClientSession) -> str | None:
        """Why a socket for `session` may not join: its user or account holds too many."""
        account = [t for t in self.tunnels if t.session.account.sid == session.account.sid]
        if len(account) >= MAX_SOCKETS_PER_ACCOUNT:
            return f"Account '{session.account.sid}' has {len(account)} sockets open here."
        same = [t for t in account if t.session.identity == session.identity]
        if len(same) >= MAX_SOCKETS_PER_IDENTITY:
            return f"'{session.identity}' has {len(same)} sockets open here."
        return None

    async def join(self, tunnel: "Tunnel") -> None:
        self.tunnels.add(tunnel)
        async with self._listening:
            if self._unsubscribe is None:
                self._unsubscribe = await self.database.listen_for_changes(self._hear)

    async def leave(self, tunnel: "Tunnel") -> None:
        self.tunnels.discard(tunnel)
        async with self._listening:
            if not self.tunnels and self._unsubscribe is not None:
                unsubscribe, self._unsubscribe = self._unsubscribe, None
                await unsubscribe()

    def _hear(self, change: Change) -> None:
        self.shared.heard()
        for tunnel in list(self.tunnels):
            tunnel.hear(change)


HUB = web.AppKey("twilsock_hub", Hub)


class Tunnel:
    """One socket's state: its session, subscriptions, and the queue of work in order."""

    def __init__(self, request: web.Request, ws: web.WebSocketResponse) -> None:
        self.request = request
        self.ws = ws
        self.database: Database = request.app[DATABASE]
        self.base_url = base_url(request)
        self._session: ClientSession | None = None
        self.subscriptions = Subscriptions()
        # Conversations changed since the last refresh: the messages changed in each, and
        # whether only those (see Change.messages_only).
        self.pending: dict[str, tuple[bool, set[int]]] = {}
        self.pending_users: set[str] = set()  # users changed since (their `US….info`)
        self.work: asyncio.Queue[Callable[[], Any]] = asyncio.Queue()
        self.expiry: asyncio.Task[None] | None = None

    @property
    def session(self) -> ClientSession:
        assert self._session is not None
        return self._session

    @property
    def sender(self) -> Sender | None:
        """What the service's pre-event webhook is asked with (the app's, shared)."""
        return sender(self.request)

    async def read(self, work: Callable[..., T], *args: Any) -> T:
        """`work(conn, session, *args)` in one read transaction."""
        return await self.database.read(work, self.session, *args)

    async def write(self, work: Callable[[Connection], T]) -> T:
        return await self.database.write(work)

    async def in_conversation(
        self,
        sid: str,
        work: Callable[..., T],
        *args: Any,
        member: bool = True,
        needs: Needs | None = None,
    ) -> T:
        """`work(conn, conversation, *args)` in one write transaction, the conversation's
        row locked, as REST's `in_conversation`; a client writes where it takes part, and
        only what its roles allow (`authorize`)."""

        def run(conn: Connection) -> T:
            conversation = self._authorized(conn, sid, member, needs, for_update=True)
            return work(conn, conversation, *args)

        return await self.database.write_locking(run)

    async def authorize(self, sid: str, needs: Needs, member: bool = True) -> None:
        """Refuse now what `in_conversation` would refuse, before a pre-event webhook is
        asked about an action the user may not take: each permission `needs(conn,
        conversation)` names must be held (domain/permissions.py), else 50107."""
        await self.database.read(self._authorized, sid, member, needs)

    def _authorized(
        self,
        conn: Connection,
        sid: str,
        member: bool,
        needs: Needs | None,
        for_update: bool = False,
    ) -> Conversation:
        session = self.session
        missing = ResourceNotFound(f"Conversation '{sid}' was not found.")
        conversation: Conversation = find_conversation(
            conn, session.service.sid, sid, missing, for_update=for_update
        )
        participant = own_participant(conn, session, conversation.sid)
        if member and participant is None:
            raise missing
        if needs is not None:
            allowed = grants(conn, session.user, participant)
            for permission in needs(conn, conversation):
                allowed.require(permission)
        return conversation

    # -- frames ----------------------------------------------------------------------

    async def send(self, header: dict[str, Any], payload: Any = None) -> None:
        if not self.ws.closed:
            await self.ws.send_bytes(framing.encode(header, payload))

    async def reply(self, frame: framing.Frame, extra: dict[str, Any], payload: Any = None) -> None:
        header = {"id": frame.id, "method": "reply", "status": OK, **extra}
        await self.send(header, payload)

    async def notify(self, message_type: str, payload: Any) -> None:
        header = {"id": framing.new_id(), "method": "notification", "message_type": message_type}
        await self.send(header, payload)

    async def close(self, code: int, status: str, error_code: int | None = None) -> None:
        header: dict[str, Any] = {"id": framing.new_id(), "method": "close"}
        header["status"] = {"code": code, "status": status}
        if error_code is not None:
            header["status"]["errorCode"] = error_code
        await self.send(header)
        await self.ws.close()

    async def close_unless_initialised(self) -> None:
        """A socket that never proves itself is not kept (`init` comes at once from the SDK)."""
        await asyncio.sleep(INIT_TIMEOUT)
        if self._session is None:
            with contextlib.suppress(ConnectionError):
                await self.close(408, "INIT_TIMEOUT")

    async def on_frame(self, frame: framing.Frame) -> None:
        method = frame.method
        if method == "reply":
            return
        if method == "init":
            await self.on_init(frame)
        elif method == "update":
            await self.on_update(frame)
        elif method == "close":
            await self.reply(frame, {})
            await self.ws.close()
        elif method == "message":
            if self._session is None:
                await self.reply(frame, {"status": {"code": 401, "status": "UNAUTHORIZED"}})
            else:
                await self.on_message(frame)
        else:  # ping, telemetry.v1, put/delete_notification_ctx: acknowledged
            await self.reply(frame, {})

    async def _verify(self, token: str) -> ClientSession:
        grant = await self.database.read(verify_access_token, token, utc_now())
        if self._session is not None and (
            grant.identity != self.session.identity or grant.account_sid != self.session.account.sid
        ):
            raise AccessTokenRefused("A token update must keep the identity and account.")
        return await self.database.write(start_session, grant)

    async def on_init(self, frame: framing.Frame) -> None:
        try:
            self._session = await self._verify(str(frame.header.get("token", "")))
        except AccessTokenRefused as refused:
            await self._refuse(frame, refused)
            return
        hub = self.request.app[HUB]
        crowded = hub.refusal(self.session)
        if crowded is not None:
            self._session = None
            status = {"code": 429, "status": "TOO_MANY_REQUESTS", "description": crowded}
            await self.reply(frame, {"status": status})
            await self.ws.close()
            return
        await hub.join(self)
        self._watch_expiry()
        storage = storage_id(self.session)
        await self.reply(
            frame,
            {
                "continuation_token": f"chinwag-{self.session.user.sid}",
                "continuation_token_status": {"reissued": False},
                "offline_storage": {
                    "ip_messaging": {"storage_id": storage},
                    "data_sync": {"storage_id": storage},
                },
                "init_registrations": [],
                "capabilities": list(frame.header.get("capabilities") or []),
            },
        )
        await socket_opened(self)  # online while open, where the service has reachability

    async def on_update(self, frame: framing.Frame) -> None:
        try:
            self._session = await self._verify(str(frame.header.get("token", "")))
        except AccessTokenRefused as refused:
            await self._refuse(frame, refused)
            return
        self._watch_expiry()
        await self.reply(frame, {})

    async def _refuse(self, frame: framing.Frame, refused: AccessTokenRefused) -> None:
        code = int(getattr(refused, "close_code", 401))
        status = {
            "code": 401 if code == 410 else code,
            "status": "UNAUTHORIZED",
            "errorCode": refused.code,
            "description": refused.message,
        }
        await self.reply(frame, {"status": status})
        await self.ws.close()

    def _watch_expiry(self) -> None:
        if self.expiry is not None:
            self.expiry.cancel()
        grant = self.session.grant
        self.expiry = asyncio.create_task(
            self._expire(token_about_to_expire_at(grant), grant.expires_at)
        )

    async def _expire(self, warn_at: datetime, expires_at: datetime) -> None:
        """`client_update token_about_to_expire` ahead of expiry, `close` 410 at it
        (twilsock src/twilsock.ts: the SDK then emits tokenAboutToExpire, tokenExpired)."""
        warn_in = (warn_at - utc_now()).total_seconds()
        if warn_in > 0:
            await asyncio.sleep(warn_in)
        await self.send(
            {
                "id": framing.new_id(),
                "method": "client_update",
                "client_update_type": "token_about_to_expire",
            }
        )
        await asyncio.sleep(max((expires_at - utc_now()).total_seconds(), 0))
        await self.close(410, "TOKEN_EXPIRED", 20104)

    async def on_message(self, frame: framing.Frame) -> None:
        method = path = None
        try:
            request = tunnelled_request(frame)
            method, path = request.method, request.path
            found = route(request)
            if found is None:
                raise ResourceNotFound(f"The requested resource {request.path} was not found")
            status, body = await ENDPOINTS[found.endpoint](self, request, **found.args)
        except TwilioError as error:
            status, body = error.status, error.envelope()
            # Why the SDK got an error, for the developer reading the server's log.
            logger.info(
                "tunnelled request failed: %s %s -> %s (Twilio code %s)",
                method,
                path,
                status,
                error.code,
                extra={"path": path, "http_status": status, "twilio_code": error.code},
            )
        except Exception:
            logger.exception("tunnelled request failed", extra={"path": path})
            status, body = 500, {"status": 500, "message": "Internal Server Error"}
        http = {"http_status": {"code": status, "status": HTTPStatus(status).phrase}}
        await self.reply(frame, {**http, "http_headers": {}}, body)

    # -- live events -----------------------------------------------------------------

    def schedule_subscriptions(
        self, action: str, correlation_id: Any, requests: list[dict[str, Any]]
    ) -> None:
        """Run after the reply to the POST is sent: events follow its answer."""
        self.work.put_nowait(lambda: self._subscribe(action, correlation_id, requests))

    async def _subscribe(
        self, action: str, correlation_id: Any, requests: list[dict[str, Any]]
    ) -> None:
        for wanted in requests:
            sid = str(wanted.get("object_sid"))
            kind = str(wanted.get("object_type"))
            if action == "cancel":
                await self.notify(SYNC_EVENT, self.subscriptions.cancel(sid, kind, correlation_id))
                continue
            last = wanted.get("last_event_id")
            since = last if isinstance(last, int) and not isinstance(last, bool) else 0
            current = await self.read(sync_shapes.read_object, sid, since)
            if current is None:
                failed = {
                    "object_sid": sid,
                    "object_type": kind,
                    "error": {"status": 404, "code": 54100, "message": "Not found"},
                }
                payload = {"event_type": "subscription_failed", "event": failed}
                payload["correlation_id"] = correlation_id
                await self.notify(SYNC_EVENT, payload)
                continue
            for event in self.subscriptions.establish(current, since, correlation_id):
                await self.notify(SYNC_EVENT, event)

    def hear(self, change: Change) -> None:
        if self._session is None:
            return
        if change.service_sid not in ("*", self.session.service.sid):
            return
        if change.typing is not None:
            if change.typing != self.session.identity:
                self.work.put_nowait(lambda: self._typing(change))
            return
        first = not self.pending and not self.pending_users
        if change.user_sid is not None:
            self.pending_users.add(change.user_sid)
            if first:
                self.work.put_nowait(self._refresh)
            return
        only, indexes = self.pending.get(change.conversation_sid, (True, set()))
        indexes.update(change.messages)
        self.pending[change.conversation_sid] = (only and change.messages_only, indexes)
        if first:
            self.work.put_nowait(self._refresh)

    async def _typing(self, change: Change) -> None:
        if f"{change.conversation_sid}.roster" not in self.subscriptions.known:
            return
        payload = {
            "channel_sid": change.conversation_sid,
            "identity": change.typing,
            "typing_timeout": TYPING_TIMEOUT + 1,
        }
        await self.notify(TYPING_NOTIFICATION, payload)

    async def _refresh(self) -> None:
        """Re-read what changed and send the difference: the user's conversations map
        first (a new conversation), then each changed conversation's objects. A messages
        list is read only at the changed indexes (whole after `ANYTHING`); a change to
        messages alone leaves the conversations map and the roster unread."""
        changed, self.pending = self.pending, {}
        users, self.pending_users = frozenset(self.pending_users), set()
        my_map = f"{self.session.user.sid}.conversations"
        reads = self.subscriptions.reads_for(changed, my_map, users)
        shared, service_sid = self.request.app[HUB].shared, self.session.service.sid
        for sid, items in reads.items():
            held = self.subscriptions.known.get(sid)
            if held is None:
                continue
            if sid.endswith(".channel"):
                current = await shared.read(sync_shapes.shared_document, service_sid, sid)
                events = self.subscriptions.diff(current, sid)
            elif held.kind != "list":
                current = await self.read(sync_shapes.read_object, sid)
                events = self.subscriptions.diff(current, sid)
            elif items is None:  # after ANYTHING: the items changed since the client heard
                heard = self.subscriptions.last_sent.get(sid, 0)
                part = await self.read(sync_shapes.read_object, sid, heard)
                since_heard = sorted(set(part.items) | set(part.removed)) if part else []
                events = self.subscriptions.diff_items(part, sid, since_heard)
            else:
                part, readers = await shared.read(
                    sync_shapes.shared_messages, service_sid, sid, tuple(items)
                )
                mine = part if self.session.identity in readers else None
                events = self.subscriptions.diff_items(mine, sid, items)
            for event in events:
                await self.notify(SYNC_EVENT, event)

    async def run_work(self) -> None:
        while True:
            job = await self.work.get()
            try:
                await job()
            except Exception:
                logger.exception("twilsock work failed")


def storage_id(session: ClientSession) -> str:
    """Where the SDK caches Sync data in browser storage: it changes with the user's SID,
    which a Reset (or deleting the user) changes, so no stale cache survives either."""
    seed = f"{session.account.sid}/{session.service.sid}/{session.user.sid}"
    return hashlib.sha256(seed.encode()).hexdigest()[:32]


async def wsconnect(request: web.Request) -> web.StreamResponse:
    """GET /v3/wsconnect: the client SDK's socket (its token is in `init`, not a header)."""
    ws = web.WebSocketResponse(
        max_msg_size=8 * 1024 * 1024, timeout=CLOSE_TIMEOUT, heartbeat=HEARTBEAT
    )
    await ws.prepare(request)
    tunnel = Tunnel(request, ws)
    worker = asyncio.create_task(tunnel.run_work())
    deadline = asyncio.create_task(tunnel.close_unless_initialised())
    try:
        async for message in ws:
            if message.type not in (WSMsgType.BINARY, WSMsgType.TEXT):
                continue
            try:
                frame = framing.parse(message.data)
            except framing.FrameError as error:
                await tunnel.close(406, str(error))
                break
            if frame.method == "message":
                tunnel.work.put_nowait(partial(tunnel.on_frame, frame))
            else:
                await tunnel.on_frame(frame)
    finally:
        worker.cancel()
        deadline.cancel()
        if tunnel.expiry is not None:
            tunnel.expiry.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await worker
        await request.app[HUB].leave(tunnel)
        await socket_closed(tunnel)
    return ws


def add_socket(app: web.Application) -> None:
    app[HUB] = Hub(app[DATABASE])
    add_presence(app, app[DATABASE])
    app.router.add_get(PATH, wsconnect)

    async def close_sockets(app: web.Application) -> None:
        """On shutdown the clients are told to go (1001) and reconnect with backoff, to
        this server once it is back or to another behind the same address."""
        for tunnel in list(app[HUB].tunnels):
            with contextlib.suppress(asyncio.TimeoutError, ConnectionError):
                await asyncio.wait_for(
                    tunnel.ws.close(code=WSCloseCode.GOING_AWAY, message=b"server shutdown"),
                    CLOSE_TIMEOUT,
                )

    app.on_shutdown.append(close_sockets)

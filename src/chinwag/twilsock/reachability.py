"""Reachability on the socket: the sockets this server counts as their users' presence,
the loop renewing their leases, and the configuration's `reachability_enabled`.

The rules (what online and notifiable mean, what is told when) are domain/reachability.py;
presence lives in the database (store/presence.py), so a user connected to one server is
online for every server, and a crashed server's sockets expire with their lease. Every
RENEW_EVERY a server with counted sockets renews their leases (one UPDATE) and forgets
the expired sockets of any server, telling of users who went offline.
"""

import asyncio
import contextlib
import logging
import secrets
from typing import TYPE_CHECKING

from aiohttp import web

from chinwag.domain import reachability as rules
from chinwag.store.database import Database
from chinwag.twilio.dates import utc_now

if TYPE_CHECKING:
    from chinwag.twilsock.connection import Tunnel

logger = logging.getLogger("chinwag.twilsock")


class Presence:
    """This server's counted sockets (socket id by tunnel) and their renewal loop."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.counted: dict[Tunnel, str] = {}
        self._renewing: asyncio.Task[None] | None = None

    async def opened(self, tunnel: "Tunnel") -> None:
        session = tunnel.session
        socket_id = secrets.token_hex(16)
        counted = await self.database.write(
            rules.socket_opened, socket_id, session.user, utc_now(), session.origin()
        )
        if counted:
            self.counted[tunnel] = socket_id
            if self._renewing is None:
                self._renewing = asyncio.create_task(self._renew_while_counted())

    async def closed(self, tunnel: "Tunnel") -> None:
        socket_id = self.counted.pop(tunnel, None)
        if socket_id is None:
            return
        session = tunnel.session
        user = session.user
        try:
            await self.database.write(
                rules.socket_closed,
                socket_id,
                user.sid,
                user.service_sid,
                utc_now(),
                session.origin(),
            )
        except Exception:  # its lease runs out instead, and another server tells of it
            logger.exception("forgetting a closed socket failed")

    async def renew_now(self) -> None:
        """Renew this server's leases, reopen the rows that went (a Reset, a long pause),
        and forget every server's expired sockets."""
        counted = dict(self.counted)
        missing = await self.database.write(rules.renew, list(counted.values()), utc_now())
        for tunnel, socket_id in counted.items():
            if socket_id in missing and self.counted.get(tunnel) == socket_id:
                del self.counted[tunnel]
                await self.opened(tunnel)
        await self.database.write(rules.expire, utc_now())

    async def _renew_while_counted(self) -> None:
        try:
            while self.counted:
                await asyncio.sleep(rules.RENEW_EVERY.total_seconds())
                try:
                    await self.renew_now()
                except Exception:
                    logger.exception("renewing socket presence failed")
        finally:
            self._renewing = None

    async def stop(self) -> None:
        if self._renewing is not None:
            self._renewing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._renewing


PRESENCE = web.AppKey("twilsock_presence", Presence)


def add_presence(app: web.Application, database: Database) -> None:
    app[PRESENCE] = Presence(database)

    async def stop(app: web.Application) -> None:
        await app[PRESENCE].stop()

    app.on_cleanup.append(stop)


async def socket_opened(tunnel: "Tunnel") -> None:
    """After `init`: the user is online while this socket is open (if the service says so)."""
    await tunnel.request.app[PRESENCE].opened(tunnel)


async def socket_closed(tunnel: "Tunnel") -> None:
    await tunnel.request.app[PRESENCE].closed(tunnel)


async def enabled(tunnel: "Tunnel") -> bool:
    """The configuration's `options.reachability_enabled`: the service's
    `ReachabilityEnabled` (REST's Configuration), read when the SDK connects."""
    service = tunnel.session.service
    return await tunnel.database.read(rules.is_enabled, service.sid, service.account_sid)

"""The live pages' event streams: what each open page is sent as things change.

The conversation page gets new messages (appended, in index order) and its
deliveries section; the deliveries page its list; a delivery page its status and
attempts. What counts as news is `changes.py`; the streaming is `live.py`.
"""

import aiohttp_jinja2
from aiohttp import web

from chinwag.request_context import database, read_query
from chinwag.ui import changes, pages
from chinwag.ui.live import Event, last_event_id, stream
from chinwag.ui.sessions import Session, page


def _fragment(request: web.Request, template: str, **context: object) -> str:
    return aiohttp_jinja2.render_string(template, request, dict(context))


@page
async def conversation_events(request: web.Request, session: Session) -> web.StreamResponse:
    sid = request.match_info["ConversationSid"]
    exists = await database(request).read(pages.find_conversation, session.account.sid, sid)
    if exists is None:
        return pages.not_found(request, session, f"Conversation {sid}")
    resume = last_event_id(request, read_query(request).text("after"))
    after = resume if resume is not None else -1  # from the first message
    where = pages.conversation_deliveries(session.account.sid, sid)
    sections = changes.Sections()

    async def look() -> list[Event]:
        nonlocal after
        new = await database(request).read(changes.new_messages, sid, after)
        events = []
        if new:
            after = new[-1].index
            html = _fragment(request, "_messages.html", messages=new)
            events.append(Event("message", html, id=str(after)))
        rows = await database(request).read(changes.recent_deliveries, where)
        html = _fragment(request, "_delivery_rows.html", rows=rows)
        if sections.changed("deliveries", html):
            events.append(Event("deliveries", html))
        return events

    return await stream(request, session, look)


@page
async def deliveries_events(request: web.Request, session: Session) -> web.StreamResponse:
    where = pages.delivery_filter(read_query(request), session.account.sid)
    sections = changes.Sections()

    async def look() -> list[Event]:
        rows = await database(request).read(changes.recent_deliveries, where)
        html = _fragment(request, "_delivery_rows.html", rows=rows)
        return [Event("deliveries", html)] if sections.changed("deliveries", html) else []

    return await stream(request, session, look)


@page
async def delivery_events(request: web.Request, session: Session) -> web.StreamResponse:
    token, account_sid = request.match_info["Token"], session.account.sid
    if await database(request).read(changes.delivery_with_attempts, account_sid, token) is None:
        return pages.not_found(request, session, f"Delivery {token}")  # as its page
    sections = changes.Sections()

    async def look() -> list[Event]:
        found = await database(request).read(changes.delivery_with_attempts, account_sid, token)
        if found is None:
            return []
        html = _fragment(request, "_delivery_state.html", found=found)
        return [Event("delivery", html)] if sections.changed("delivery", html) else []

    return await stream(request, session, look)

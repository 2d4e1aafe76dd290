"""Which SMS/WhatsApp (address, proxy address) pairs open conversations hold."""

from sqlalchemy import Connection, bindparam, delete, insert, select

from chinwag.store.tables import address_pairs

_HOLDER = select(address_pairs.c.conversation_sid).where(
    address_pairs.c.account_sid == bindparam("account_sid"),
    address_pairs.c.address == bindparam("address"),
    address_pairs.c.proxy_address == bindparam("proxy_address"),
)
_HOLD = insert(address_pairs)
_RELEASE = delete(address_pairs).where(address_pairs.c.participant_sid == bindparam("sid"))
_RELEASE_ALL = delete(address_pairs).where(
    address_pairs.c.conversation_sid == bindparam("conversation_sid")
)


def pair_holder(conn: Connection, account_sid: str, address: str, proxy_address: str) -> str | None:
    """The SID of the open conversation holding the pair, if any."""
    params = {"account_sid": account_sid, "address": address, "proxy_address": proxy_address}
    found: str | None = conn.execute(_HOLDER, params).scalar()
    return found


def hold_pair(
    conn: Connection,
    account_sid: str,
    conversation_sid: str,
    participant_sid: str,
    address: str,
    proxy_address: str,
) -> None:
    conn.execute(
        _HOLD,
        {
            "account_sid": account_sid,
            "conversation_sid": conversation_sid,
            "participant_sid": participant_sid,
            "address": address,
            "proxy_address": proxy_address,
        },
    )


def release_pair(conn: Connection, participant_sid: str) -> None:
    conn.execute(_RELEASE, {"sid": participant_sid})


def release_pairs(conn: Connection, conversation_sid: str) -> None:
    """A closed conversation holds no pair any more."""
    conn.execute(_RELEASE_ALL, {"conversation_sid": conversation_sid})


_HELD_BY = select(address_pairs.c.conversation_sid, address_pairs.c.participant_sid).where(
    address_pairs.c.account_sid == bindparam("account_sid"),
    address_pairs.c.address == bindparam("address"),
    address_pairs.c.proxy_address == bindparam("proxy_address"),
)


def pair_participant(
    conn: Connection, account_sid: str, address: str, proxy_address: str
) -> tuple[str, str] | None:
    """(conversation SID, participant SID) of the open conversation holding the pair, if any."""
    params = {"account_sid": account_sid, "address": address, "proxy_address": proxy_address}
    row = conn.execute(_HELD_BY, params).first()
    return (row[0], row[1]) if row else None

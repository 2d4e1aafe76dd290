"""Whether an SDK user may do a thing: the roles Twilio gives users and participants.

"Users are assigned a Role at the Service level. This determines what they can do
within the chat Service instance, such as create and destroy Conversations ...
Participants are assigned a Role at the Conversation level. This determines what they
are able to do within a particular Conversation, such as invite Participants ..., post
Messages, and remove other Participants" (twilio.com/docs/conversations/api/role-resource).
So an action in a conversation is allowed when the participant's conversation role or
the user's service role holds its permission (a service admin may remove anyone from
any conversation, as Flex's supervisors do); an action on the service (creating or
joining a conversation, editing user info) asks the service role alone. A user or
participant without a role has the service's default one (Configuration's
`DefaultChatServiceRoleSid`, `DefaultConversationRoleSid`). A refusal is 50107.

REST calls made with the account's credentials are not role-checked, as on Twilio.
docs/client-sdk.md lists the permission each SDK call needs.
"""

from dataclasses import dataclass

from sqlalchemy import Connection

from chinwag.store import roles as role_store
from chinwag.store import service_configurations as configurations
from chinwag.store.messages import Message
from chinwag.store.participants import Participant
from chinwag.store.users import User
from chinwag.twilio.errors import NotAuthorized


@dataclass(frozen=True)
class Grants:
    """The permissions an SDK user holds: by their service role, and in one conversation
    by their participant's conversation role (empty outside any conversation)."""

    identity: str
    service: frozenset[str]
    conversation: frozenset[str] = frozenset()

    def allows(self, permission: str) -> bool:
        return permission in self.service or permission in self.conversation

    def require(self, permission: str) -> None:
        """NotAuthorized (50107) unless a role of the user holds `permission`."""
        if not self.allows(permission):
            raise NotAuthorized(f"'{self.identity}' has no role with the {permission} permission.")


def grants(conn: Connection, user: User, participant: Participant | None = None) -> Grants:
    """What `user` may do in the service, and in the conversation of `participant`."""
    defaults = configurations.get_configuration(conn, user.service_sid)
    service_role = user.role_sid or (defaults.default_chat_service_role_sid if defaults else None)
    conversation_role = None
    if participant is not None:
        fallback = defaults.default_conversation_role_sid if defaults else None
        conversation_role = participant.role_sid or fallback
    return Grants(
        user.identity,
        _permissions(conn, user.service_sid, service_role),
        _permissions(conn, user.service_sid, conversation_role),
    )


def _permissions(conn: Connection, service_sid: str, role_sid: str | None) -> frozenset[str]:
    role = role_store.get_role(conn, service_sid, role_sid) if role_sid else None
    return frozenset(role.permissions) if role is not None else frozenset()


def to_edit(message: Message, identity: str, body: bool, attributes: bool) -> list[str]:
    """The permissions an edit of `message` by `identity` needs: its body, its attributes,
    each of one's own messages or of anyone's (role-resource, "Permission values")."""
    own = message.author == identity
    needed = []
    if body:
        needed.append("editOwnMessage" if own else "editAnyMessage")
    if attributes:
        needed.append("editOwnMessageAttributes" if own else "editAnyMessageAttributes")
    return needed


def to_delete(message: Message, identity: str) -> str:
    return "deleteOwnMessage" if message.author == identity else "deleteAnyMessage"


def to_remove(participant: Participant, identity: str) -> str:
    """Leaving is one's own participant; removing anyone else's is another permission."""
    return "leaveConversation" if participant.identity == identity else "removeParticipant"

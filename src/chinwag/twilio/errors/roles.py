"""Roles and their permissions.

One class per Twilio error code, each raised where its rule lives
(chinwag/twilio/errors/base.py says how a message is made)."""

from chinwag.twilio.errors.base import TwilioError


class RoleNotFound(TwilioError):
    """A service role named by a parameter (`RoleSid` of a user, `DefaultChatServiceRoleSid`)
    that is not a service role of the service (errors/50100 "Role not found")."""

    code = 50100
    title = "Role not found"


class PermissionNotFound(TwilioError):
    """A `Permission` that is not a permission of the role's type (errors/50104)."""

    code = 50104
    title = "Permission not found"


class InvalidRoleType(TwilioError):
    """A `Type` other than `conversation` or `service` (errors/50105 "Invalid role type")."""

    code = 50105
    title = "Invalid role type"


class ConversationRoleNotFound(TwilioError):
    """A conversation role named by a parameter (`RoleSid` of a participant, the service's
    default conversation roles) that is not a conversation role of the service
    (errors/50109 "Conversation role not found")."""

    code = 50109
    title = "Conversation role not found"


class RoleInUse(TwilioError):
    """Deleting a role a participant, a user or the service configuration still names.

    Twilio documents no code for it (docs/compatibility.md): 20001, with a message
    saying what holds the role.
    """

    code = 20001


class NotAuthorized(TwilioError):
    """An SDK user whose roles lack the permission an action needs (errors/50107:
    "Specified User is not authorized for this command due to his Role or Permissions")."""

    code = 50107
    title = "User not authorized for command"
    status = 403

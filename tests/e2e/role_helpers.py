"""Real roles for tests that give a `RoleSid`: chinwag refuses a role the service lacks."""

from tests.conftest import Api

# A permission of each role type (twilio.com/docs/conversations/api/role-resource).
PERMISSION = {"conversation": "sendMessage", "service": "joinConversation"}


def custom_role(api: Api, root: str, kind: str = "conversation", name: str = "custom") -> str:
    """A new role of type `kind` under `root` ("/v1" or "/v1/Services/IS…"); its SID."""
    response = api.post(
        f"{root}/Roles", {"FriendlyName": name, "Type": kind, "Permission": PERMISSION[kind]}
    )
    assert response.status_code == 201, response.text
    sid: str = response.json()["sid"]
    return sid


def default_roles(api: Api, root: str) -> dict[str, str]:
    """The service's roles by friendly name, e.g. {"channel user": "RL…", ...}."""
    listed = api.get(f"{root}/Roles", params={"PageSize": 50}).json()["roles"]
    return {role["friendly_name"]: role["sid"] for role in listed}

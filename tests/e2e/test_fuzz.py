"""Conformance fuzzing: schemathesis drives every operation of Twilio's OpenAPI document
against a live server on each engine and finds no 5xx and no response that breaks the
document.

Each of the 103 operations is a subtest, run with a fixed seed (schemathesis derives each
operation's seed from `SEED` and the operation's name): the document's examples, the
coverage phase's boundary values (huge and negative integers, empty and over-long
strings, wrong types) and at most `MAX_EXAMPLES` randomly generated cases, so a run is
the same run every time and stays within CI's budget. Each case is sent to a server on
every engine in turn. The operations are grouped in one test per collection (the path's
last resource name, both path families), and their cases are made when that test runs,
not when pytest collects: collecting happens in every xdist worker. Path parameters
name real resources made before the run (`Fixtures`, on each server), so the cases
reach the handlers' rules instead of stopping at a 404 for a random SID; only a
DELETE's target is generated.

Which checks run, and why the others do not, is decided in one place: `CHECKS` and
`NOT_CHECKED` below (docs/compatibility.md, "Conformance fuzzing", has the evidence).
"""

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from importlib.resources import files
from typing import Any

import pytest
import requests
import schemathesis
import schemathesis.pytest
from schemathesis import Case
from schemathesis.checks import CHECKS as REGISTERED
from schemathesis.checks import (
    content_type_conformance,
    load_all_checks,
    not_a_server_error,
    response_schema_conformance,
)

from chinwag.config import Settings
from tests.conftest import Api, customer_number, loopback_session
from tests.databases import ENGINES, EngineDatabases
from tests.inprocess import AppServer

SEED = 14  # issue 14
MAX_EXAMPLES = 8

SPEC = files("chinwag").joinpath("spec/twilio_conversations_v1.json")


def as_twilio_answers(document: dict[str, Any]) -> dict[str, Any]:
    """The document, where its schema contradicts its own examples, as the examples show
    Twilio answering (docs/compatibility.md, "Conformance fuzzing"): a service webhook
    configuration never set reads `"method": null` (example `fetchEmpty`), though the
    schema's `method` is a non-nullable enum."""
    schemas = document["components"]["schemas"]
    method = "service_webhook_configuration_enum_method"
    schemas[method] = {
        **schemas[method],
        "nullable": True,
        "enum": [*schemas[method]["enum"], None],
    }
    return document


DOCUMENT = as_twilio_answers(json.loads(SPEC.read_text()))


def collection(path: str) -> str:
    """The resource a path addresses: its last name that is not a `{parameter}`."""
    return [part for part in path.split("/") if part and not part.startswith("{")][-1]


COLLECTIONS = sorted({collection(path) for path in DOCUMENT["paths"]})


# What each path parameter that names a fixture is generated as. The fixture's SID replaces
# it before a case is sent, so its values would be thrown away: 34-character pattern
# matches (half of the random phase's drawing) and the coverage phase's variants (cases
# sent again with nothing else changed). A constant has neither.
FIXTURE = {"type": "string", "const": "fixture"}


def fixture_parameters(path: str, method: str) -> dict[str, str]:
    """The path's `{...}` parameters that name a fixture, each with the collection whose
    SID it takes (`Fixtures`). A DELETE keeps its generated target, so the fixtures outlive
    the run. An update of a conversation may close it for good (`State=closed`), after
    which every other operation on it is refused: updates get a conversation of their own."""
    names = re.findall(r"([A-Za-z]+)/\{(\w+)\}", path)
    if method.upper() == "DELETE":
        names = names[:-1]
    elif path.endswith("Conversations/{Sid}"):
        names = [*names[:-1], ("Updated", "Sid")]
    return {name: collection for collection, name in names}


def as_fuzzed(path: str, item: dict[str, Any]) -> dict[str, Any]:
    """The path's operations with each parameter that names a fixture generated as `FIXTURE`."""

    def operation(method: str, spec: dict[str, Any]) -> dict[str, Any]:
        fixed = fixture_parameters(path, method)
        parameters = [
            {**parameter, "schema": FIXTURE}
            if parameter["in"] == "path" and parameter["name"] in fixed
            else parameter
            for parameter in spec.get("parameters", [])
        ]
        return {**spec, "parameters": parameters}

    methods = {"get", "post", "delete"}
    return {key: operation(key, value) if key in methods else value for key, value in item.items()}


def fuzzing_schema(name: str) -> schemathesis.BaseSchema:
    """The document's operations on collection `name` (in both path families), as fuzzed."""
    paths = {
        path: as_fuzzed(path, item)
        for path, item in DOCUMENT["paths"].items()
        if collection(path) == name
    }
    schema = schemathesis.openapi.from_dict({**DOCUMENT, "paths": paths})
    schema.config.seed = SEED
    schema.config.generation.update(max_examples=MAX_EXAMPLES, deterministic=True, database="none")
    # Not the stateful phase: its request sequences would take the run past CI's budget; the
    # fixtures below give the paths real SIDs instead (run it with the CLI: docs/compatibility.md).
    schema.config.phases.update(phases=["examples", "coverage", "fuzzing"])
    return schema


# What must hold for every response chinwag gives, whatever the input.
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]

# Schemathesis's other checks, each left out because Twilio's document is wrong about
# Twilio there (docs/compatibility.md, "Conformance fuzzing", has the evidence):
NOT_CHECKED = {
    # The document lists only the 2xx response of each operation; Twilio answers every
    # refusal with a 4xx in its error envelope (20001, 20404, 50xxx ...).
    "status_code_conformance": "the document lists no 4xx",
    # Twilio refuses more than the document constrains (SIDs of the wrong account or
    # kind, Attributes that are not JSON, rules such as one open conversation per address
    # pair), so a schema-valid request may be refused.
    "positive_data_acceptance": "Twilio enforces rules the document does not carry",
    # Twilio accepts what the document forbids in places (an identity in place of a
    # `^US...` SID, `Configuration.Method` in any case), so a schema-invalid request may
    # succeed.
    "negative_data_rejection": "Twilio accepts values the document's patterns forbid",
    # The document declares no response headers to conform to and no Allow header.
    "response_headers_conformance": "no response headers are documented",
    "missing_required_header": "no request headers are required by the document",
    "unsupported_method": "Twilio answers 405 with 20004, checked in test_wire.py",
    "allow_header_conformance": "the document declares no Allow header for the 405",
    # Checks that need request sequences (the stateful phase, not run here) or a second
    # account; what they hold is tested directly.
    "use_after_free": "stateful; a deleted resource's 404 is in each resource's tests",
    "ensure_resource_availability": "stateful; create-then-fetch is in test_openapi.py",
    "ignored_auth": "the coverage phase sends no or wrong credentials; test_auth.py",
    "object_level_authorization": "needs a second account; test_auth.py, tenants.py",
}


def test_every_schemathesis_check_is_run_or_excused() -> None:
    """A check a new schemathesis release adds must be decided on here, not skipped silently."""
    load_all_checks()
    run = {check.__name__ for check in CHECKS}
    assert set(REGISTERED.get_all_names()) == run | set(NOT_CHECKED)
    assert not run & set(NOT_CHECKED)


@dataclass(frozen=True)
class Fixtures:
    """The resources the fuzzed paths name, by the path segment that holds their SID
    ("Updated": the conversation that conversation updates name)."""

    by_collection: dict[str, str]

    def path_parameters(self, case: Case[Any]) -> dict[str, Any]:
        """The case's path parameters, each that names a fixture given its SID."""
        named = fixture_parameters(case.path, case.method)
        return case.path_parameters | {
            name: self.by_collection[collection] for name, collection in named.items()
        }


@dataclass(frozen=True)
class Fuzzed:
    """A server the fuzzer may change, the resources its paths name, and a session that
    keeps its connection to the server from case to case."""

    engine: str
    server: AppServer
    fixtures: Fixtures
    session: requests.Session


@pytest.fixture(scope="session")
def fuzzed(databases_by_engine: EngineDatabases) -> Iterator[list[Fuzzed]]:
    """On each engine, a server of its own (the fuzzer changes and deletes what it finds)
    and the resources its paths name."""
    # No worker: the fuzzer's webhooks are never delivered (loopback only, and less work).
    servers = {
        engine: AppServer(databases_by_engine[engine].new(), Settings(run_worker=False))
        for engine in ENGINES
    }
    try:
        for server in servers.values():
            server.start()
        yield [
            Fuzzed(engine, server, make_fixtures(Api(server)), loopback_session(server.auth))
            for engine, server in servers.items()
        ]
    finally:
        for server in servers.values():
            if server.running:
                server.stop()


@pytest.fixture(autouse=True)
def node_id_for_schemathesis(request: pytest.FixtureRequest) -> None:
    """schemathesis 4.32's lazy schema reads and sets `node._nodeid`, which pytest 9.2 no
    longer has (it builds `nodeid` from `_id`): give it one. Earlier pytest has it."""
    if not hasattr(request.node, "_nodeid"):
        # setattr: typed on pytest 9.0, not on 9.2, so neither spelling type-checks on both
        setattr(request.node, "_nodeid", request.node.nodeid)  # noqa: B010


@pytest.fixture(params=COLLECTIONS)
def operations(request: pytest.FixtureRequest) -> schemathesis.BaseSchema:
    """The operations on one collection: their cases are made as the test runs."""
    return fuzzing_schema(request.param)


def on_loopback(body: dict[str, Any]) -> dict[str, Any]:
    """The body with every http(s) URL it gives (`PreWebhookUrl`, `Configuration.Url`, ...)
    pointed at a closed loopback port: a pre-event webhook is asked from the request path,
    and the tests send nothing beyond this machine. Other values stay, to be refused."""
    loopback = "http://127.0.0.1:9/fuzzed"

    def moved(name: str, value: Any) -> Any:
        if "Url" in name and isinstance(value, str) and value.lower().startswith("http"):
            return loopback
        return value

    return {name: moved(name, value) for name, value in body.items()}


def make_fixtures(api: Api) -> Fixtures:
    def made(path: str, data: dict[str, Any]) -> str:
        response = api.post(path, data)
        assert response.status_code == 201, response.text
        sid: str = response.json()["sid"]
        return sid

    service = made("/v1/Services", {"FriendlyName": "fuzzed"})
    root = f"/v1/Services/{service}"
    # The default service too, so the `/v1/Conversations/...` family finds the same resources.
    assert api.post("/v1/Configuration", {"DefaultChatServiceSid": service}).status_code == 200
    conversation = made(f"{root}/Conversations", {"FriendlyName": "fuzzed"})
    updated = made(f"{root}/Conversations", {"FriendlyName": "fuzzed by updates"})
    chat = f"{root}/Conversations/{conversation}"
    message = made(f"{chat}/Messages", {"Body": "fuzzed"})
    sms = {"MessagingBinding.Address": customer_number(), "MessagingBinding.ProxyAddress": "+1501"}
    participant = made(f"{chat}/Participants", sms)
    made(f"{chat}/Participants", {"Identity": "fuzzed"})  # makes the user, in a conversation
    user: str = api.get(f"{root}/Users/fuzzed").json()["sid"]
    receipt = {"ParticipantSid": participant, "Status": "delivered"}
    webhook = {"Target": "webhook", "Configuration.Url": "http://127.0.0.1:9/fuzzed"}
    webhook["Configuration.Filters"] = "onMessageAdded"
    role = {"FriendlyName": "fuzzed", "Type": "service", "Permission": "joinConversation"}
    binding = {"Identity": "fuzzed", "BindingType": "fcm", "Address": "token"}
    return Fixtures(
        {
            "Services": service,
            "Conversations": conversation,
            "Updated": updated,
            "Messages": message,
            "Participants": participant,
            "Receipts": made(f"/chinwag{chat}/Messages/{message}/Receipts", receipt),
            "Webhooks": made(f"{chat}/Webhooks", webhook),
            "Users": user,
            "Roles": made(f"{root}/Roles", role),
            "Credentials": made("/v1/Credentials", {"Type": "apn", "FriendlyName": "fuzzed"}),
            "Addresses": made("/v1/Configuration/Addresses", {"Type": "sms", "Address": "+1502"}),
            "Bindings": made(f"/chinwag{root}/Bindings", binding),
        }
    )


# Each case goes to both engines' servers: the cases are the same on both, and making
# them (Hypothesis and schemathesis) costs as much as answering them.
@pytest.mark.slow(0)  # seconds each: after the heavy tests, before the short ones
# schemathesis's own strategies draw from `random`, which Hypothesis deprecates.
@pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisDeprecationWarning")
@schemathesis.pytest.from_fixture("operations").parametrize()
def test_no_5xx_and_every_response_matches_the_document(
    case: Case[Any], fuzzed: list[Fuzzed]
) -> None:
    if isinstance(case.body, dict):
        case.body = on_loopback(case.body)
    generated = case.path_parameters
    for each in fuzzed:
        if generated:
            case.path_parameters = generated
            case.path_parameters = each.fixtures.path_parameters(case)
        try:
            case.call_and_validate(base_url=each.server.url, session=each.session, checks=CHECKS)
        except Exception as error:
            error.add_note(f"on {each.engine}")
            raise

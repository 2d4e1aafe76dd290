"""A request body sent as multipart/form-data is read as its URL-encoded twin: text parts
are parameters, file parts are not (request_context.py; test_bad_input.py has the
malformed bodies)."""

from tests.conftest import Api, assert_twilio_error


def test_text_parts_are_parameters_and_file_parts_are_skipped(api: Api) -> None:
    fields = {
        "FriendlyName": (None, "sent as multipart"),
        "Attributes": (None, '{"via": "multipart"}'),
        "UniqueName": ("unique.txt", b"a file, not a parameter", "text/plain"),
    }
    response = api.post("/v1/Conversations", files=fields)

    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["friendly_name"], body["attributes"]) == (
        "sent as multipart",
        '{"via": "multipart"}',
    )
    assert body["unique_name"] is None
    api.delete(body["url"])


def test_a_multipart_body_over_the_size_limit_is_refused(api: Api) -> None:
    big = "x" * (2 * 1024 * 1024)  # above aiohttp's default client_max_size of 1 MiB
    response = api.post("/v1/Conversations", files={"FriendlyName": (None, big)})
    assert assert_twilio_error(response, 400, 20001)["message"] == "The request body is too large."

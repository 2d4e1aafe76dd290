"""A token endpoint for Twilio's React demo app against chinwag (docs/client-sdk.md).

The demo asks `GET $REACT_APP_ACCESS_TOKEN_SERVICE_URL?identity=...&password=...` for an
Access Token as plain text; this answers it with `POST /chinwag/v1/Tokens` (the
password is not checked: a local demo). Run: `python tools/demo/token_server.py 8091`
with TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN of the account `chinwag serve` printed.
"""

import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import requests

CHINWAG = os.environ.get("CHINWAG_URL", "http://127.0.0.1:8080")
AUTH = (os.environ["TWILIO_ACCOUNT_SID"], os.environ["TWILIO_AUTH_TOKEN"])


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        identity = parse_qs(urlparse(self.path).query).get("identity", [""])[0]
        answer = requests.post(
            f"{CHINWAG}/chinwag/v1/Tokens", data={"Identity": identity}, auth=AUTH, timeout=10
        )
        minted = answer.status_code == 201
        body = answer.json()["token"].encode() if minted else answer.content
        self.send_response(200 if minted else 401)
        self.send_header("Access-Control-Allow-Origin", "*")  # the app is on another port
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


if __name__ == "__main__":
    ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()

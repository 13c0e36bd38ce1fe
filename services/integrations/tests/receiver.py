"""A real webhook receiver, run as its own process: `python receiver.py <port>`.

It verifies each POST with standardwebhooks' own `Webhook.verify`, once per secret it was given, and records what
it got. `POST /_control {"secrets": [...], "answers": [500, 500]}` sets the secrets and the status codes of the
next answers (then 200), `"delay"` the seconds before each answer, and `"hold": true` keeps every answer back
until `"hold": false` (at most 60 s); `GET /_received` lists what came; `POST /_reset` forgets it."""

from __future__ import annotations

import contextlib
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook

STATE: dict[str, Any] = {"secrets": [], "answers": [], "received": [], "delay": 0.0, "hold": False}
LOCK = threading.Lock()
RELEASED = threading.Event()
RELEASED.set()


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        return None

    def _answer(self, status: int, body: Any = None) -> None:
        data = json.dumps(body if body is not None else {}).encode()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self._send(status, data)

    def _send(self, status: int, data: bytes) -> None:
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        with LOCK:
            self._answer(200, STATE["received"])

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length", "0"))
        body = self.rfile.read(length)
        if len(body) < length:  # the sender died mid-request (kill -9): no request arrived, as for any server
            self.close_connection = True
            return
        if self.path == "/_control":
            with LOCK:
                STATE.update(json.loads(body))
                if STATE["hold"]:
                    RELEASED.clear()
                else:
                    RELEASED.set()
            return self._answer(200)
        if self.path == "/_reset":
            with LOCK:
                STATE.update(received=[], answers=[])
            return self._answer(200)
        headers = {k.lower(): v for k, v in self.headers.items()}
        verified = []
        for n, secret in enumerate(STATE["secrets"]):
            try:
                Webhook(secret).verify(body, headers)
                verified.append(n)
            except Exception:
                pass
        with LOCK:
            status = STATE["answers"].pop(0) if STATE["answers"] else 200
            STATE["received"].append(
                {
                    "path": self.path,
                    "headers": {k: headers[k] for k in headers if k.startswith("webhook-") or k == "content-type"},
                    "body": body.decode(),
                    "verified_with": verified,
                    "answered": status,
                }
            )
        time.sleep(STATE["delay"])  # recorded on arrival, answered later: a kill lands between the two
        RELEASED.wait(60)
        self._answer(status)


if __name__ == "__main__":
    server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler)
    server.serve_forever()

"""A local SMS gateway for tests and benchmarks, run as its own process:

    python -m tests.core.notifications.sms_gateway_stub [--port 0] [--token T | --basic U:P]
        [--delay-ms N]

It prints its base URL on the first line of stdout. POST /messages takes JSON {from, to, text}
with an `Idempotency-Key` header and answers {"id": ...}; a key it has seen before is answered
with the first delivery's id and not delivered again. Every request is recorded.
GET /records returns {"requests": n, "deliveries": [...], "requests_by_key": {...}};
POST /control {"fail_status": 503 | null, "delay_ms": n} changes behaviour; POST /reset clears.
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class GatewayState:
    def __init__(self, authorization: str, delay_ms: int) -> None:
        self.lock = threading.Lock()
        self.authorization = authorization
        self.delay_ms = delay_ms
        self.fail_status: int | None = None
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.requests_by_key: Counter[str] = Counter()
            self.deliveries: dict[str, dict[str, Any]] = {}
            self.fail_status = None

    def accept(self, key: str, payload: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with self.lock:
            self.requests_by_key[key] += 1
            if self.fail_status is not None:
                return self.fail_status, {"error": "gateway told to fail"}
            if key not in self.deliveries:
                self.deliveries[key] = {"id": f"stub-{len(self.deliveries) + 1}", "key": key,
                                        **payload}  # fmt: skip
            return 200, {"id": self.deliveries[key]["id"]}

    def records(self) -> dict[str, Any]:
        with self.lock:
            return {
                "requests": sum(self.requests_by_key.values()),
                "requests_by_key": dict(self.requests_by_key),
                "deliveries": list(self.deliveries.values()),
            }


def handler_for(state: GatewayState) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # otherwise each answer waits ~40 ms for a delayed ACK

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: tests read the records instead."""

        def _answer(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _json(self) -> dict[str, Any]:
            length = int(self.headers.get("Content-Length") or 0)
            return json.loads(self.rfile.read(length) or b"{}")

        def do_GET(self) -> None:
            if self.path == "/records":
                self._answer(200, state.records())
            else:
                self._answer(404, {"error": "not found"})

        def do_POST(self) -> None:
            body = self._json()
            if self.path == "/reset":
                state.reset()
                self._answer(200, {})
            elif self.path == "/control":
                state.fail_status = body.get("fail_status")
                state.delay_ms = int(body.get("delay_ms", state.delay_ms))
                self._answer(200, {})
            elif self.path == "/messages":
                self._message(body)
            else:
                self._answer(404, {"error": "not found"})

        def _message(self, body: dict[str, Any]) -> None:
            if state.authorization and self.headers.get("Authorization") != state.authorization:
                self._answer(401, {"error": "bad credentials"})
                return
            key = self.headers.get("Idempotency-Key", "")
            if not key or not body.get("to") or not body.get("text"):
                self._answer(400, {"error": "Idempotency-Key, to and text are required"})
                return
            if state.delay_ms:
                time.sleep(state.delay_ms / 1000)
            self._answer(*state.accept(key, body))

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--token", default="", help="require this bearer token")
    parser.add_argument("--basic", default="", help="require basic auth USER:PASSWORD")
    parser.add_argument("--delay-ms", type=int, default=0)
    args = parser.parse_args()
    authorization = f"Bearer {args.token}" if args.token else ""
    if args.basic:
        authorization = "Basic " + base64.b64encode(args.basic.encode()).decode()
    state = GatewayState(authorization, args.delay_ms)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), handler_for(state))
    server.daemon_threads = True
    print(f"http://127.0.0.1:{server.server_address[1]}", flush=True)
    sys.stdout.close()
    server.serve_forever()


if __name__ == "__main__":
    main()

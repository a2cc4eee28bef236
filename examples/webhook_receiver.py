"""A webhook receiver for possdk: what an ERP or CRM puts in front of its import.

    python examples/webhook_receiver.py --port 8787 --secret "$SECRET"

It accepts a delivery only when its signature verifies (HMAC-SHA256 over the
timestamp and the body, with the subscription's secret) and its timestamp is
recent, and answers 2xx only after the event is kept, so possdk retries
anything not acknowledged. Deliveries are at least once: the event id
(``X-Possdk-Event-Id``) is the idempotency key, and an event seen before is
acknowledged again without being applied twice. Here "kept" is a JSON Lines
file; a real receiver writes to its own database in one transaction with the
id.

Subscribe it from the shop with
``possdk webhooks subscribe http://127.0.0.1:8787/ --db URL --secret "$SECRET"``
and run ``possdk webhooks deliver --db URL``.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from possdk.reports import verify_signature


class Inbox:
    """The events kept so far, by id, appended to a JSON Lines file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lock = threading.Lock()
        self.seen: set[str] = set()
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                self.seen.add(json.loads(line)["id"])

    def keep(self, event_id: str, event: dict[str, Any]) -> bool:
        """Keep an event once; False if it was kept before (a redelivery)."""
        with self.lock:
            if event_id in self.seen:
                return False
            with self.path.open("a", encoding="utf-8") as f:
                f.write(json.dumps(event, ensure_ascii=False) + "\n")
            self.seen.add(event_id)
            return True


def make_server(host: str, port: int, secrets: list[str], inbox: Inbox) -> ThreadingHTTPServer:
    """A server that verifies, de-duplicates and keeps possdk's webhook deliveries."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            stamp = self.headers.get("X-Possdk-Timestamp", "")
            signature = self.headers.get("X-Possdk-Signature", "")
            event_id = self.headers.get("X-Possdk-Event-Id", "")
            if not verify_signature(secrets, stamp, body, signature):
                self.answer(401, "bad or stale signature")  # possdk retries, then dead-letters
                return
            event = json.loads(body)
            if event.get("id") != event_id:
                self.answer(400, "the event id does not match its header")
                return
            fresh = inbox.keep(event_id, event)
            self.answer(200, "kept" if fresh else "already kept")

        def answer(self, status: int, text: str) -> None:
            data = text.encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return ThreadingHTTPServer((host, port), Handler)


def main(argv: list[str] | None = None) -> int:
    """Serve until interrupted."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8787)
    parser.add_argument(
        "--secret",
        action="append",
        required=True,
        help="the subscription's secret; give it twice (old and new) during a rotation",
    )
    parser.add_argument("--inbox", type=Path, default=Path("possdk-events.jsonl"))
    args = parser.parse_args(argv)
    server = make_server(args.host, args.port, args.secret, Inbox(args.inbox))
    port = server.server_address[1]
    sys.stderr.write(f"receiving possdk webhooks on http://{args.host}:{port}/ into {args.inbox}\n")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

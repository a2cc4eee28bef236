"""examples/webhook_receiver.py, run as an integrator runs it, receiving a shop's events."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

from possdk import Store
from possdk._demo import run_demo

ROOT = Path(__file__).resolve().parents[2]
SECRET = "a-shared-secret-of-some-length"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(port: int) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise AssertionError(f"the receiver never listened on {port}")


def test_the_example_receiver_keeps_each_event_once_and_refuses_forgeries(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    run_demo(out=lambda _: None, db=url).close()
    port, inbox = free_port(), tmp_path / "events.jsonl"
    receiver = subprocess.Popen(
        [sys.executable, str(ROOT / "examples" / "webhook_receiver.py"), "--port", str(port),
         "--secret", "an-old-secret-being-rotated", "--secret", SECRET, "--inbox", str(inbox)],
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_for(port)
        with Store.open(url) as store:
            hooks = store.webhooks
            sub = hooks.subscribe(
                f"http://127.0.0.1:{port}/", "SaleCompleted", SECRET,
                since=store.clock.now().replace(year=2026, month=11, day=1),
            )  # fmt: skip
            assert hooks.deliver().delivered == 10
            # A redelivery (as after a lost acknowledgement) is acknowledged, not kept twice.
            first = hooks.delivery_log(sub.id)[0]
            hooks.redeliver(first.id)
            assert hooks.deliver().delivered == 1
            # A sender without the secret is refused (and possdk would retry).
            forged = hooks.subscribe(
                f"http://127.0.0.1:{port}/", "SaleCompleted", "not-the-secret-at-all",
                since=store.clock.now().replace(year=2026, month=11, day=1),
            )  # fmt: skip
            assert hooks.deliver().failed == 10
            assert {d.last_status for d in hooks.delivery_log(forged.id)} == {401}
    finally:
        receiver.terminate()
        receiver.wait(10)
    kept = [json.loads(line) for line in inbox.read_text(encoding="utf-8").splitlines()]
    assert len(kept) == 10 and len({e["id"] for e in kept}) == 10
    assert {e["type"] for e in kept} == {"SaleCompleted"}
    assert all(e["data"]["receipt"]["number"].startswith("till-1/") for e in kept)

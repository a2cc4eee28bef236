"""possdk webhooks: subscribe, deliver, log, redeliver, prune, against a local receiver."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from possdk._demo import run_demo
from possdk.cli import main
from tests.integration.test_webhooks import Receiver

SECRET = "a-shared-secret-of-some-length"


def possdk(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def shop(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    run_demo(out=lambda _: None, db=url).close()
    return url


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_subscribe_deliver_and_read_the_log(shop: str, receiver: Receiver) -> None:
    made = possdk("webhooks", "subscribe", receiver.url, "--db", shop, "--event",
                  "SaleCompleted", "--secret", SECRET, "--since", "2026-11-27")  # fmt: skip
    assert made.exit_code == 0, made.output
    sub_id = re.search(r"subscribed (\S+) to", made.output)
    assert sub_id and f"secret: {SECRET}" in made.output
    listed = possdk("webhooks", "list", "--db", shop)
    assert f"{sub_id.group(1)}  active   {receiver.url}  SaleCompleted" in listed.output
    assert SECRET not in listed.output

    done = possdk("webhooks", "deliver", "--db", shop)
    assert done.exit_code == 0, done.output
    assert done.output.strip() == "queued 10, delivered 10, failed 0, dead 0"
    assert len(set(receiver.acked)) == 10  # the demo day's ten sales, signatures verified
    log = possdk("webhooks", "log", "--db", shop, "--attempts")
    assert log.output.count("delivered  SaleCompleted") == 10
    assert log.output.count("-> delivered") == 10 and "#1 " in log.output
    again = possdk("webhooks", "deliver", "--db", shop)
    assert again.output.strip() == "queued 0, delivered 0, failed 0, dead 0"
    assert possdk("webhooks", "prune", "--db", shop).output.strip() == "pruned 0 deliveries"

    rotated = possdk("webhooks", "rotate", "--db", shop, sub_id.group(1))
    assert rotated.exit_code == 0 and re.match(r"secret: [0-9a-f]{64} ", rotated.output)
    short = possdk("webhooks", "rotate", "--db", shop, sub_id.group(1), "--secret", "short")
    assert short.exit_code == 1 and "16 to 200" in short.output

    stopped = possdk("webhooks", "unsubscribe", "--db", shop, sub_id.group(1))
    assert stopped.exit_code == 0
    assert "stopped" in possdk("webhooks", "list", "--db", shop).output


def test_a_receiver_that_is_down_leaves_pending_deliveries_and_bad_ids_are_named(
    shop: str,
) -> None:
    url = f"http://127.0.0.1:{closed_port()}/hooks"
    assert (
        possdk("webhooks", "subscribe", url, "--db", shop, "--since", "2026-11-27").exit_code == 0
    )
    done = possdk("webhooks", "deliver", "--db", shop)
    assert done.exit_code == 0
    assert re.match(r"queued \d+, delivered 0, failed 1, dead 0", done.output)
    log = possdk("webhooks", "log", "--db", shop, "--attempts").output
    assert "pending" in log and "ConnectionRefusedError" in log and "no answer -> pending" in log
    assert possdk("webhooks", "log", "--db", shop, "--dead").output == ""

    bad = possdk("webhooks", "redeliver", "--db", shop, "not-an-id")
    assert bad.exit_code == 2 and "is not an id" in bad.output
    missing = possdk("webhooks", "redeliver", "--db", shop, "0" * 32)
    assert missing.exit_code == 1 and "no webhook delivery" in missing.output
    wrong = possdk("webhooks", "subscribe", "ftp://example.com/", "--db", shop)
    assert wrong.exit_code == 1 and "http" in wrong.output
    when = possdk("webhooks", "subscribe", url, "--db", shop, "--since", "yesterday")
    assert when.exit_code == 2 and "not an ISO date" in when.output
    days = possdk("webhooks", "prune", "--db", shop, "--days", "0")
    assert days.exit_code == 2

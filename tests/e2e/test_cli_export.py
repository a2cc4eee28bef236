"""``possdk export sales|customers|stock`` on the demo shop's database, as a user runs them:
the data on stdout or in --out, the progress bar only ever on stderr, bad input refused in
one line."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from possdk import Store
from possdk._demo import run_demo
from possdk.cli import main
from possdk.errors import StorageError
from possdk.reports import export_customers, export_sales, export_stock

DAY = "2026-11-27"  # the demo's trading day
POSSDK = Path(sys.executable).parent / "possdk"


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The demo shop after its trading day, in a SQLite file."""
    url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'possdk-demo.db'}"
    run_demo(db=url, out=lambda text: None).close()
    return url


@pytest.fixture
def store(db: str) -> Iterator[Store]:
    with Store.open(db) as opened:
        yield opened


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def cells(row: Any) -> dict[str, str]:
    """A typed row as its CSV cells."""
    out = {}
    for key, value in row.to_dict().items():
        if isinstance(value, bool):
            out[key] = "true" if value else "false"
        else:
            out[key] = "" if value is None else str(value)
    return out


def parse_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


# ---- the data ------------------------------------------------------------------------


def test_export_sales_as_csv_on_stdout_is_every_line_of_the_day(db: str, store: Store) -> None:
    result = run("export", "sales", "--db", db, "--from", DAY)
    assert result.exit_code == 0, result.output
    assert result.stderr == ""  # not a terminal: no bar
    rows = parse_csv(result.stdout)
    day = date.fromisoformat(DAY)
    assert rows == [cells(r) for r in export_sales(store, day, date(2026, 11, 28))]
    assert len(rows) == 23
    # The lines add up to the day's total in the Z report; the returns are negative.
    assert sum(Decimal(r["gross"]) for r in rows) == Decimal("3149.23")
    returns = [
        (r["receipt"], r["sku"], r["quantity"], r["gross"]) for r in rows if r["kind"] == "return"
    ]
    assert returns == [
        ("till-1/000006", "BREAD", "-1", "-32.50"),
        ("till-1/000007", "COFFEE", "-1", "-160.65"),
        ("till-1/000013", "COFFEE", "-1", "-189.00"),
    ]
    bananas = next(r for r in rows if r["sku"] == "BANANA")
    assert (bananas["quantity"], bananas["unit"], bananas["gross"]) == ("1.347", "kg", "91.46")
    assert {r["customer_id"] for r in rows} - {""}, "the card holder's sales name her"


def test_json_and_json_lines_carry_the_same_rows(db: str) -> None:
    as_csv = parse_csv(run("export", "sales", "--db", db, "--from", DAY).stdout)
    as_json = run("export", "sales", "--db", db, "--from", DAY, "--format", "json")
    assert as_json.exit_code == 0, as_json.output
    array = json.loads(as_json.stdout)
    lines = run("export", "sales", "--db", db, "--from", DAY, "--format", "jsonl").stdout
    assert [json.loads(x) for x in lines.splitlines()] == array
    assert [{k: "" if v is None else str(v) for k, v in r.items()} for r in array] == as_csv
    assert array[0]["line_no"] == 1 and isinstance(array[0]["gross"], str)  # no float money


def test_export_customers_and_stock(db: str, store: Store) -> None:
    customers = run("export", "customers", "--db", db)
    assert customers.exit_code == 0, customers.output
    assert parse_csv(customers.stdout) == [cells(r) for r in export_customers(store)]
    assert [r["name"] for r in parse_csv(customers.stdout)] == ["Ольга"]
    stock = run("export", "stock", "--db", db, "--format", "json")
    assert stock.exit_code == 0, stock.output
    rows = json.loads(stock.stdout)
    assert rows == [r.to_dict() for r in export_stock(store)]
    valued = {r["sku"]: r["value"] for r in rows if r["value"] and Decimal(r["on_hand"]) > 0}
    valuation = store.inventory.valuation("main")
    assert valued == {ln.sku: format(ln.value.amount, "f") for ln in valuation.lines}


def test_an_empty_export_still_has_its_header(db: str) -> None:
    result = run("export", "sales", "--db", db, "--from", "2020-01-01")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("receipt,kind,completed_at,") and result.stdout.count("\n") == 1
    empty = run("export", "sales", "--db", db, "--from", "2020-01-01", "--format", "json")
    assert json.loads(empty.stdout) == []


# ---- --out and the progress bar --------------------------------------------------------


def test_out_writes_the_file_and_says_so_on_stderr(db: str, tmp_path: Path) -> None:
    on_stdout = run("export", "sales", "--db", db, "--from", DAY).stdout
    target = tmp_path / "sales.csv"
    result = run("export", "sales", "--db", db, "--from", DAY, "--out", str(target))
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert target.read_text(encoding="utf-8") == on_stdout
    assert result.stderr == f"23 sales lines written to {target}\n"
    assert [p.name for p in tmp_path.iterdir()] == ["sales.csv"]  # no partial file left


def test_the_progress_bar_goes_to_stderr_never_into_the_data(db: str, tmp_path: Path) -> None:
    plain = run("export", "sales", "--db", db, "--from", DAY)
    with_bar = run("export", "sales", "--db", db, "--from", DAY, "--progress")
    assert with_bar.exit_code == 0, with_bar.output
    assert with_bar.stdout == plain.stdout
    assert "exporting sales lines" in with_bar.stderr
    target = tmp_path / "stock.jsonl"
    to_file = run(
        "export", "stock", "--db", db, "--format", "jsonl", "--out", str(target), "--progress"
    )
    assert to_file.exit_code == 0 and to_file.stdout == ""
    assert "exporting stock levels" in to_file.stderr
    assert all(json.loads(x)["sku"] for x in target.read_text(encoding="utf-8").splitlines())
    quiet = run(
        "export", "customers", "--db", db, "--out", str(tmp_path / "c.csv"), "--no-progress"
    )
    assert quiet.stderr == f"1 customers written to {tmp_path / 'c.csv'}\n"


def test_a_terminal_on_stderr_gets_the_bar_when_the_data_goes_to_a_pipe(db: str) -> None:
    pty = pytest.importorskip("pty")
    master, terminal = pty.openpty()
    try:
        result = subprocess.run(
            [str(POSSDK), "export", "sales", "--db", db, "--from", DAY],
            stdout=subprocess.PIPE,
            stderr=terminal,
            timeout=120,
            check=False,
        )
    finally:
        os.close(terminal)
    shown = b""
    with contextlib.suppress(OSError):  # EIO once the terminal's last writer is gone
        while chunk := os.read(master, 65536):
            shown += chunk
    os.close(master)
    assert result.returncode == 0
    assert result.stdout.decode("utf-8") == run("export", "sales", "--db", db, "--from", DAY).stdout
    assert b"exporting sales lines" in shown and b"23/23" in shown


@pytest.mark.parametrize(
    ("args", "label"),
    [
        (["report", "sales", "--from", "2026-11-01", "--to", "2026-11-30"], "sales report"),
        (["export", "accounting", "--from", "2026-11-01", "--to", "2026-11-30"], "business days"),
    ],
)
def test_long_reports_take_the_progress_bar_too(db: str, args: list[str], label: str) -> None:
    plain = run(*args, "--db", db)
    assert plain.exit_code == 0, plain.output
    assert plain.stderr == ""
    with_bar = run(*args, "--db", db, "--progress")
    assert with_bar.exit_code == 0, with_bar.output
    assert with_bar.stdout == plain.stdout
    assert label in with_bar.stderr


# ---- bad input -------------------------------------------------------------------------


def no_traceback(result: Result) -> None:
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["sales", "--from", DAY, "--format", "xml"], "'xml' is not one of 'csv', 'json', 'jsonl'"),
        (
            ["sales", "--from", "2026-11-28", "--to", "2026-11-27"],
            "--to 2026-11-27 is before --from",
        ),
        (["sales", "--from", "27.11.2026"], "dates are YYYY-MM-DD"),
        (["sales"], "Missing option '--from'"),
        (["stock", "--format", "xlsx"], "'xlsx' is not one of"),
    ],
)
def test_bad_arguments_are_usage_errors(db: str, args: list[str], says: str) -> None:
    result = run("export", *args[:1], "--db", db, *args[1:])
    assert result.exit_code == 2
    assert says in result.stderr and result.stdout == ""
    no_traceback(result)


def test_a_database_that_is_not_there_or_not_a_store_is_one_line(tmp_path: Path) -> None:
    missing = tmp_path / "nope.db"
    result = run("export", "customers", "--db", f"sqlite:///{missing}")
    assert result.exit_code == 1
    assert result.stderr == f"error: no database at sqlite:///{missing}: check the path\n"
    assert not missing.exists()  # asked to read, it creates nothing
    no_traceback(result)
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is not SQLite\n" * 100)
    result = run("export", "sales", "--db", f"sqlite:///{garbage}", "--from", DAY)
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
    assert "not a possdk database" in result.stderr
    no_traceback(result)
    result = run("report", "sales", "--db", f"sqlite:///{missing}", "--from", DAY)
    assert result.exit_code == 1 and "no database at" in result.stderr
    assert not missing.exists()


def test_an_out_file_that_cannot_be_written_is_one_line(db: str, tmp_path: Path) -> None:
    result = run("export", "stock", "--db", db, "--out", str(tmp_path / "no" / "such" / "x.csv"))
    assert result.exit_code == 1
    assert "No such file or directory" in result.stderr and result.stderr.count("\n") == 1
    no_traceback(result)


def test_a_failure_part_way_keeps_the_old_file(
    db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import possdk.reports

    real = possdk.reports.export_sales

    def failing(*args: Any) -> Iterator[Any]:
        rows = real(*args)
        try:
            yield next(rows)
            raise StorageError("sqlite:///demo: disk I/O error")
        finally:
            rows.close()

    monkeypatch.setattr(possdk.reports, "export_sales", failing)
    target = tmp_path / "sales.csv"
    target.write_text("yesterday's export\n", encoding="utf-8")
    result = run("export", "sales", "--db", db, "--from", DAY, "--out", str(target))
    assert result.exit_code == 1
    assert result.stderr == "error: sqlite:///demo: disk I/O error\n"
    assert target.read_text(encoding="utf-8") == "yesterday's export\n"
    assert [p.name for p in tmp_path.iterdir()] == ["sales.csv"]

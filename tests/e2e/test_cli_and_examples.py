"""The ``possdk`` command and the examples, run as a user runs them."""

from __future__ import annotations

import decimal
import re
import subprocess
import sys
from pathlib import Path

import pytest

from possdk._demo import run_demo

ROOT = Path(__file__).parents[2]
POSSDK = Path(sys.executable).parent / "possdk"


def cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(POSSDK), *args], capture_output=True, text=True, timeout=120, cwd=cwd
    )


def test_demo_prints_every_receipt_and_the_z_report():
    result = cli("demo", "--db", "sqlite://")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.count("Чек till-1/") == 13  # ten sales and three returns
    assert "card declined: 51 insufficient funds" in out  # a declined card
    assert "card approved only 300.00 UAH" in out  # a partial approval
    assert "Мобільна оплата MASTERCARD *5100" in out  # a mobile wallet
    assert "Подарункова картка *0011            100,00" in out  # a gift card, masked
    assert "Картка VISA *4242                  -160,65" in out  # a refund to the card
    assert "Z-ЗВІТ №1" in out and "Розбіжність" in out
    assert "Банани" in out and "1,347 kg" in out  # a weighed, scanned item
    assert "Картка VISA *4242                   200,00" in out  # split tender
    assert "Заокруглення" in out  # cash rounding to 0.10
    assert "refused: operator 'cashier-1' may not give discount" in out
    assert "Повернення за чеком till-1/000001" in out
    assert "₴" in out
    # Inventory: the morning delivery, the reorder hook, a draft order, a cycle count.
    assert "delivery against PO-000001 received (10/12 COFFEE, 20/20 BREAD" in out
    assert "closed" in out.split("delivery against PO-000001")[1].splitlines()[0]
    assert "stock low: MILK at main has 10 available (reorder point 10)" in out
    assert "suggested order to zerno-wholesale: 36 x MILK (ZW-MLK-1L) at 27.15 each" in out
    assert "draft PO-000002 for zerno-wholesale" in out
    assert "Count CNT-000001 at main" in out and "BREAD 19->18" in out
    assert "Value difference                    -19.80" in out
    # Loyalty: a card scanned, buy 2 get 1, happy hour and a coupon, a gift card sold and
    # spent, a return that takes back the points its line earned.
    assert "loyalty card 2990000000018: Ольга, 0 points" in out
    assert "Круасани: 2 + 1 у подарунок       -38,00" in out
    assert "Нараховано балів                        26" in out  # on the receipt
    assert "sale earned 26, her balance is 26 (the ledger says 26)" in out
    assert "Щаслива година: кава -20%         -75,60" in out
    assert "Купон WELCOME: -10%               -30,24" in out
    assert "coupon WELCOME-001 used: 1 redemption" in out
    sold = out.split("=== sale 9: a gift card sold ===")[1].split("===")[0]
    assert "Подарункова картка\n  1 x 500,00" in sold and "  *0029" in sold
    assert "ПДВ" not in sold  # no tax on money put on a card
    assert "Подарункова картка *0029            466,15" in out
    assert "now holds 33.85 UAH; gift cards outstanding 33.85 UAH" in out
    assert "Ольга's points: 26 -> 7 (the ledger agrees: True); points owed" in out
    assert "60030000010000000" not in out  # no gift card number is printed whole


@pytest.mark.parametrize(
    ("locale", "currency", "expect"),
    [
        ("en_US", "USD", "Sales tax"),
        ("de_CH", "CHF", "CHF"),
        ("ja_JP", "JPY", "Z REPORT"),
        ("en_US", "EUR", "€"),
    ],
)
def test_demo_in_other_locales_and_currencies(locale, currency, expect):
    result = cli(
        "demo", "--locale", locale, "--currency", currency, "--width", "48", "--db", "sqlite://"
    )
    assert result.returncode == 0, result.stderr
    assert expect in result.stdout
    printed = [ln for ln in result.stdout.splitlines() if not ln.startswith(("---", "==="))]
    assert all(len(line) <= 48 for line in printed)


def test_demo_refuses_an_unknown_currency_clearly():
    result = cli("demo", "--currency", "XYZ", "--db", "sqlite://")
    assert result.returncode == 1
    assert "unknown currency code 'XYZ'" in result.stderr
    assert "Traceback" not in result.stderr


def test_demo_keeps_the_shop_and_a_second_run_is_the_next_day(tmp_path):
    first = cli("demo", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "sqlite:///possdk-demo.db, trading day 1" in first.stdout
    assert (tmp_path / "possdk-demo.db").exists()
    second = cli("demo", cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    assert "trading day 2" in second.stdout
    assert "Чек till-1/000014" in second.stdout and "Z-ЗВІТ №2" in second.stdout
    assert "loyalty card 2990000000018: Ольга, 7 points" in second.stdout  # she is known
    assert "coupon WELCOME-002 used: 1 redemption" in second.stdout
    assert "delivery against PO-000002 received (34/36 MILK)" in second.stdout
    verify = cli("journal", "verify", "--db", "sqlite:///possdk-demo.db", cwd=tmp_path)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert "journal OK" in verify.stdout
    other = cli("demo", "--currency", "USD", "--locale", "en_US", cwd=tmp_path)
    assert other.returncode == 1 and "trades in UAH" in other.stderr


def test_version():
    result = cli("--version")
    assert result.returncode == 0 and "possdk" in result.stdout


def test_quickstart_example_runs():
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "quickstart.py")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "СУМА" in result.stdout and "265,00" in result.stdout
    assert "Z-ЗВІТ №1" in result.stdout and "Розбіжність" in result.stdout


def test_readme_quickstart_is_the_example():
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"## Quickstart\n\n```python\n(.*?)```", readme, re.S)
    assert block is not None
    example = (ROOT / "examples" / "quickstart.py").read_text()

    def normalised(text: str) -> str:  # ignore layout and the formatter's trailing commas
        return re.sub(r",([)\]])", r"\1", re.sub(r"\s+", "", text))

    body = "\n".join(
        line for line in block.group(1).splitlines() if not line.startswith(("import", "from"))
    )
    assert normalised(body) in normalised(example)


def test_the_whole_day_ignores_a_hostile_ambient_decimal_context():
    def day() -> str:
        out: list[str] = []
        run_demo(out=out.append)
        return re.sub(r"[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}", "<id>", "\n".join(out))

    reference = day()
    hostile = decimal.Context(
        prec=2, rounding=decimal.ROUND_FLOOR, traps=[decimal.Inexact, decimal.Rounded]
    )
    with decimal.localcontext(hostile):
        assert day() == reference


def test_the_same_demo_runs_against_postgresql(postgresql_url):
    for day in (1, 2):
        result = cli("demo", "--db", postgresql_url, "--locale", "en_US")
        assert result.returncode == 0, result.stderr
        assert f"trading day {day}" in result.stdout and f"Z REPORT No.{day}" in result.stdout
    verify = cli("journal", "verify", "--db", postgresql_url)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert "journal OK" in verify.stdout


def test_report_and_export_work_on_the_demo_shop(tmp_path):
    demo = cli("demo", cwd=tmp_path)
    assert demo.returncode == 0
    page = tmp_path / "possdk-demo-report.html"
    assert f"the day's HTML sales report: {page}" in demo.stdout  # the demo's last note
    assert demo.stdout.index("Z-ЗВІТ") < demo.stdout.index("HTML sales report")
    shown = page.read_text(encoding="utf-8")
    assert "<svg" in shown and re.search(r"3\W149,23", shown)  # net sales, as the Z report
    db = "sqlite:///possdk-demo.db"
    made = cli("report", "sales", "--db", db, "--from", "2026-11-27", "--html", "day.html",
               cwd=tmp_path)  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert f"wrote {tmp_path / 'day.html'}" in made.stderr and made.stdout == ""
    assert (tmp_path / "day.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    unwritable = cli("report", "sales", "--db", db, "--from", "2026-11-27", "--html",
                     str(tmp_path / "no" / "such" / "dir.html"), cwd=tmp_path)  # fmt: skip
    assert unwritable.returncode == 1 and unwritable.stderr.startswith("error:")
    text = cli("report", "sales", "--db", db, "--from", "2026-11-27", "--top", "3", cwd=tmp_path)
    assert text.returncode == 0, text.stderr
    assert "Sales summary 2026-11-27 to 2026-11-28" in text.stdout
    assert re.search(r"^sales\s+10$", text.stdout, re.M)
    assert re.search(r"^2026-11-27\s+10\s+3\s+3149\.23", text.stdout, re.M)  # as the Z report
    as_json = cli("report", "sales", "--db", db, "--from", "2026-11-27", "--format", "json",
                  cwd=tmp_path)  # fmt: skip
    assert as_json.returncode == 0, as_json.stderr
    import json

    data = json.loads(as_json.stdout)
    assert {"summary", "by_day", "top_products", "top_by_margin", "discounts"} <= set(data)
    ledger = cli("export", "accounting", "--db", db, "--from", "2026-11-27", cwd=tmp_path)
    assert ledger.returncode == 0, ledger.stderr
    assert 'business day 2026-11-27: 10 sales, 3 returns"' in ledger.stdout
    amounts = [
        decimal.Decimal(m.group(1))
        for m in re.finditer(r"^  \S+\s+(-?\d+\.\d+) UAH$", ledger.stdout, re.M)
    ]
    assert amounts and sum(amounts) == 0  # the day balances
    bad = cli("report", "sales", "--db", db, "--from", "2026-11-28", "--to", "2026-11-27",
              cwd=tmp_path)  # fmt: skip
    assert bad.returncode == 2 and "before --from" in bad.stderr


def test_report_customers_on_the_demo_shop_hides_small_groups(tmp_path):
    assert cli("demo", cwd=tmp_path).returncode == 0
    db = "sqlite:///possdk-demo.db"
    shown = cli("report", "customers", "--db", db, "--from", "2026-11-27", cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    out = shown.stdout
    assert re.search(r"^new\s+1\s+1\s+265\.00", out, re.M)  # the regular's first visit
    assert re.search(r"^anonymous\s+9\s", out, re.M)
    assert "Potential loyalists" in out
    assert "Unknown" not in out  # one customer is fewer than k=5: hidden, not shown
    one = cli("report", "customers", "--db", db, "--from", "2026-11-27", "-k", "1",
              "--format", "json", cwd=tmp_path)  # fmt: skip
    assert one.returncode == 0, one.stderr
    import json

    data = json.loads(one.stdout)
    assert set(data) == {"new_vs_returning", "visit_frequency", "rfm", "age_bands", "areas"}
    elsewhere = cli("report", "customers", "--db", db, "--from", "2026-11-27", "--register",
                    "till-9", "--format", "json", cwd=tmp_path)  # fmt: skip
    assert json.loads(elsewhere.stdout)["visit_frequency"]["rows"][-1]["customers"] == 0
    sales = cli("report", "sales", "--db", db, "--from", "2026-11-27", "--operator",
                "cashier-1", "--format", "json", cwd=tmp_path)  # fmt: skip
    summary = {r["figure"]: r["value"] for r in json.loads(sales.stdout)["summary"]["rows"]}
    assert summary["sales"] == 10  # every sale of the demo day is Olena's
    bad = cli("report", "customers", "--db", db, "--from", "2026-11-27", "-k", "0",
              cwd=tmp_path)  # fmt: skip
    assert bad.returncode == 2 and "-k" in bad.stderr


def test_report_stock_on_the_demo_shop(tmp_path):
    assert cli("demo", cwd=tmp_path).returncode == 0
    db = "sqlite:///possdk-demo.db"
    shown = cli("report", "stock", "--db", db, cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert "Stock on hand at cost, all locations: 1939.90" in shown.stdout
    assert re.search(r"^main\s+MILK\s.*\s10\s+0\s+10\s+36\s+zerno-wholesale$", shown.stdout, re.M)
    as_csv = cli("report", "stock", "--db", db, "--format", "csv", cwd=tmp_path)
    assert "sku,name,on_hand,unit_cost,value" in as_csv.stdout
    nowhere = cli("report", "stock", "--db", db, "--location", "moon", cwd=tmp_path)
    assert nowhere.returncode == 1 and "moon" in nowhere.stderr


def test_report_z_prints_a_kept_z_again(tmp_path):
    assert cli("demo", cwd=tmp_path).returncode == 0
    assert cli("demo", cwd=tmp_path).returncode == 0  # day 2: Z No.2
    db = "sqlite:///possdk-demo.db"
    last = cli("report", "z", "--db", db, cwd=tmp_path)
    assert last.returncode == 0, last.stderr
    assert "Z REPORT No.2" in last.stdout and "Gift cards sold (1)" in last.stdout
    first = cli("report", "z", "--db", db, "--number", "1", "--format", "json", cwd=tmp_path)
    import json

    data = json.loads(first.stdout)
    assert (data["number"], data["net_sales"]) == (1, "3149.23")
    as_csv = cli("report", "z", "--db", db, "--register", "till-1", "--format", "csv", cwd=tmp_path)
    assert as_csv.stdout.splitlines()[0] == "section,item,key,value"
    none = cli("report", "z", "--db", db, "--number", "9", cwd=tmp_path)
    assert none.returncode == 1 and "no Z report No.9" in none.stderr


def test_report_liabilities_match_the_loyalty_api(tmp_path):
    assert cli("demo", cwd=tmp_path).returncode == 0
    db = "sqlite:///possdk-demo.db"
    shown = cli("report", "liabilities", "--db", db, "--format", "json", cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    import json

    data = json.loads(shown.stdout)
    from possdk import Store

    with Store.open(db.replace("possdk-demo.db", str(tmp_path / "possdk-demo.db"))) as store:
        cards = store.loyalty.gift_cards.outstanding()
        points = store.loyalty.points.outstanding()
    assert data == {
        "currency": "UAH",
        "gift_cards": format(cards.amount, "f"),
        "loyalty_points": format(points.amount, "f"),
        "total": format((cards + points).amount, "f"),
    }
    assert cards.amount > 0 and points.amount > 0  # the demo sells a card and earns points

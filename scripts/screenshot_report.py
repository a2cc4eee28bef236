"""Draw docs/img/sales-report.png: a month of café sales as the HTML report, seen by chromium.

    .venv/bin/python scripts/screenshot_report.py [--out PATH] [--seed N] [--html PATH]

The sales are generated through the public API (a fixed seed, a fixed clock),
so the picture changes only when the report does. It needs Debian's chromium
(``apt-get install -y chromium``) and the ``playwright`` package from the dev
extras; it never downloads a browser.
"""

from __future__ import annotations

import argparse
import random
import sys
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from possdk import (
    Catalog,
    FixedClock,
    Money,
    Operator,
    Product,
    Role,
    Settings,
    Store,
    TaxCategory,
    TaxRate,
)
from possdk.reports import sales_report_html

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
ZONE = "Europe/Dublin"
MONTH = (date(2026, 11, 1), date(2026, 12, 1))

# sku, name, price, tax category, shop category, how often it is asked for
MENU = [
    ("ESP", "Espresso", "2.40", "standard", "coffee", 6),
    ("AMER", "Americano", "2.90", "standard", "coffee", 10),
    ("CAP", "Cappuccino", "3.40", "standard", "coffee", 14),
    ("FLAT", "Flat white", "3.60", "standard", "coffee", 12),
    ("LATTE", "Oat latte", "3.90", "standard", "coffee", 9),
    ("TEA", "Breakfast tea", "2.50", "standard", "tea", 5),
    ("MATCHA", "Matcha latte", "4.20", "standard", "tea", 3),
    ("CROIS", "Butter croissant", "2.20", "food", "bakery", 9),
    ("CINN", "Cinnamon bun", "3.10", "food", "bakery", 6),
    ("SCONE", "Scone with jam", "2.80", "food", "bakery", 4),
    ("TOAST", "Sourdough toast & butter", "4.50", "food", "kitchen", 4),
    ("BAGEL", "Smoked salmon bagel", "7.90", "food", "kitchen", 4),
    ("OJ", "Fresh orange juice", "4.00", "standard", "cold drinks", 3),
    ("BEANS", "House blend beans 250 g", "11.50", "standard", "retail", 1),
]

# How busy each hour is, weekdays and weekends (the café opens 7:00 to 19:00).
WEEKDAY_HOURS = {7: 6, 8: 10, 9: 7, 10: 4, 11: 4, 12: 8, 13: 7, 14: 3, 15: 3, 16: 4, 17: 3, 18: 1}
WEEKEND_HOURS = {8: 2, 9: 5, 10: 8, 11: 9, 12: 8, 13: 6, 14: 5, 15: 4, 16: 3, 17: 2}
TENDERS = (("card", 60), ("cash", 25), ("mobile", 15))


def open_cafe(clock: FixedClock) -> Store:
    """An in-memory store with the café's menu and staff."""
    catalog = Catalog(
        [
            TaxCategory("standard", [TaxRate("VAT23", "23", name="VAT")]),
            TaxCategory("food", [TaxRate("VAT135", "13.5", name="VAT")]),
        ],
        [
            Product(sku, name, Money(price, "EUR"), tax, category=category)
            for sku, name, price, tax, category, _ in MENU
        ],
    )
    return Store.create(
        Settings(currency="EUR", locale="en_IE", timezone=ZONE, receipt_header=("Café Aroma",)),
        catalog=catalog,
        operators=[
            Operator("aoife", "Aoife", Role.cashier()),
            Operator("cian", "Cian", Role.supervisor()),
        ],
        clock=clock,
    )


# What the café pays for what it buys in (the drinks it makes have no cost kept).
BOUGHT_IN = [("CROIS", "0.95"), ("CINN", "1.30"), ("SCONE", "1.05"), ("BEANS", "6.40")]


def ring_up_month(store: Store, clock: FixedClock, rng: random.Random) -> int:
    """A few hundred sales across November, with some discounts and returns; their number.

    The bought-in goods are received with their cost (so the report shows a
    margin), and bakery items are 10 % off all month (a promotion).
    """
    from possdk.loyalty import PercentOff, Promotion

    store.inventory.receive_stock([(sku, 2000, cost) for sku, cost in BOUGHT_IN])
    store.loyalty.promotions.add(
        Promotion("bakery-10", "Bakery -10%", PercentOff(10, categories={"bakery"}))
    )
    session = store.register("till-1").open_session(operator="aoife")
    skus = [m[0] for m in MENU]
    weights = [m[5] for m in MENU]
    zone = ZoneInfo(ZONE)
    sales = 0
    day = MONTH[0]
    while day < MONTH[1]:
        weekend = day.weekday() >= 5
        hours = WEEKEND_HOURS if weekend else WEEKDAY_HOURS
        busy = 1.25 if weekend else 1.0
        if day.weekday() == 4:  # Fridays are a little busier
            busy = 1.1
        receipts = round(rng.gauss(14, 3) * busy)
        stamps = sorted(
            datetime.combine(
                day,
                time(rng.choices(list(hours), list(hours.values()))[0], rng.randrange(60)),
                zone,
            )
            for _ in range(max(receipts, 4))
        )
        for at in stamps:
            clock.advance(at.astimezone(timezone.utc) - clock.now())
            sale = session.new_sale()
            for sku in rng.choices(skus, weights, k=rng.choice((1, 1, 2, 2, 2, 3, 4))):
                sale.add(sku)
            if rng.random() < 0.06:
                sale.discount_sale(percent=5, reason="loyalty card")
            kind = rng.choices([t for t, _ in TENDERS], [w for _, w in TENDERS])[0]
            sale.pay(kind)
            done = sale.complete()
            sales += 1
            if rng.random() < 0.012:  # a wrong order, taken back a minute later
                clock.advance(timedelta(minutes=1))
                back = session.new_return(done, approved_by="cian")
                back.return_line(1)
                back.refund(kind)
                back.complete()
        day += timedelta(days=1)
    return sales


def screenshot(page_html: str, out: Path) -> None:
    """Open the page in headless chromium, 1200 px wide, and save the whole of it."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.set_content(page_html, wait_until="load")
            page.screenshot(path=str(out), full_page=True)
        finally:
            browser.close()


def main(argv: list[str] | None = None) -> int:
    """Generate the sales, render the report and save the screenshot."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img" / "sales-report.png")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--html", type=Path, help="also keep the HTML page here")
    args = parser.parse_args(argv)
    if not CHROMIUM.exists():
        print(f"no {CHROMIUM}: install it with `apt-get install -y chromium`", file=sys.stderr)
        return 1
    clock = FixedClock(datetime(2026, 10, 31, 12, 0, tzinfo=timezone.utc))
    with open_cafe(clock) as store:
        sales = ring_up_month(store, clock, random.Random(args.seed))
        page_html = sales_report_html(store, *MONTH, top=10, title="November sales")
    if args.html:
        args.html.write_text(page_html, encoding="utf-8")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    screenshot(page_html, args.out)
    print(f"{sales} sales; wrote {args.out} ({args.out.stat().st_size // 1024} KB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The HTML sales report: it shows the analytics' figures (SQLite and PostgreSQL), a bar a day,
a cell an hour, escapes what the data says, says so when a period is empty, and draws in
headless chromium without an error (a screenshot is kept as a test artifact)."""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import threading
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import pytest

from possdk import (
    Catalog,
    FixedClock,
    Money,
    Product,
    Settings,
    Store,
    TaxCategory,
    TaxRate,
    format_money,
)
from possdk.errors import ReportError
from possdk.reports import Analytics, SalesReport, sales_report_html
from tests.conftest import CASHIER, SUPERVISOR
from tests.integration.conftest import OpenStore, sqlite_file_url

if TYPE_CHECKING:
    from playwright.sync_api import Dialog

HOSTILE = "<script>alert(1)</script>"
SHOP_NAME = "Kavarnia <b>&</b> Co"
TREATS = 'sweets & "treats"'
KYIV = Settings(
    currency="UAH", locale="uk_UA", timezone="Europe/Kyiv", receipt_header=(SHOP_NAME,)
)  # UTC+2 in November
MON = date(2026, 11, 23)
WEEK = (MON, MON + timedelta(days=7))
NBSP = "\xa0"


def uah(text: str) -> str:
    """An amount as uk_UA shows it: ``1 234,50 ₴`` with no-break spaces."""
    return text.replace(" ", NBSP) + NBSP + "₴"


def shop_catalog() -> Catalog:
    return Catalog(
        [TaxCategory("standard", [TaxRate("VAT20", "20", name="VAT")]), TaxCategory("exempt", [])],
        [
            Product(
                "COFFEE", "Coffee beans", Money("189.00", "UAH"), "standard", category="drinks"
            ),
            Product("TEA", "Green tea", Money("95.00", "UAH"), "standard", category="drinks"),
            Product("BOOK", "Book", Money("250.00", "UAH"), "exempt"),
            Product("EVIL", HOSTILE, Money("10.00", "UAH"), "standard", category=TREATS),
        ],
    )


def ring_up(store: Store, clock: FixedClock) -> None:
    """Mon 09:00 local: two coffees by card (378.00). Mon 12:00: a book in cash (250.00).
    Wed 10:00: three EVIL and a tea by card (125.00), the tea returned at 10:30 (-95.00).
    Fri 18:00: a coffee in cash (189.00)."""
    till = store.register("till-1").open_session(operator=CASHIER.id)

    def sell(*items: tuple[str, int], kind: str) -> Any:
        sale = till.new_sale()
        for sku, qty in items:
            sale.add(sku, qty)
        sale.pay(kind)
        return sale.complete()

    sell(("COFFEE", 2), kind="card")
    clock.advance(timedelta(hours=3))
    sell(("BOOK", 1), kind="cash")
    clock.advance(timedelta(days=1, hours=22))  # Wednesday 10:00
    wednesday = sell(("EVIL", 3), ("TEA", 1), kind="card")
    clock.advance(timedelta(minutes=30))
    back = till.new_return(wednesday, approved_by=SUPERVISOR.id)
    back.return_line(2)
    back.refund("card")
    back.complete()
    clock.advance(timedelta(days=2, hours=7, minutes=30))  # Friday 18:00
    sell(("COFFEE", 1), kind="cash")


@pytest.fixture
def shop(open_store: OpenStore, durable_url: str) -> Store:
    clock = FixedClock(datetime(2026, 11, 23, 7, 0, tzinfo=timezone.utc))  # Mon 09:00 in Kyiv
    store = open_store(durable_url, catalog=shop_catalog(), settings=KYIV, clock=clock)
    ring_up(store, clock)
    return store


# ---- a small tree of the page, from html.parser ------------------------------------------


class Node:
    """An element: its tag, attributes and children (nodes and text)."""

    def __init__(self, tag: str, attrs: dict[str, str | None]) -> None:
        self.tag, self.attrs = tag, attrs
        self.children: list[Node | str] = []

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def walk(self) -> Iterator[Node]:
        yield self
        for c in self.children:
            if isinstance(c, Node):
                yield from c.walk()

    def find(self, tag: str | None = None, cls: str | None = None, **attrs: str) -> list[Node]:
        """Elements under this one by tag, by one of their classes and by attributes
        (``data_day="..."`` matches ``data-day``)."""
        wanted = {k.replace("_", "-"): v for k, v in attrs.items()}
        return [
            n
            for n in self.walk()
            if (tag is None or n.tag == tag)
            and (cls is None or cls in (n.attrs.get("class") or "").split())
            and all(n.attrs.get(k) == v for k, v in wanted.items())
        ]

    def one(self, tag: str | None = None, cls: str | None = None, **attrs: str) -> Node:
        (found,) = self.find(tag, cls, **attrs)
        return found


class _TreeBuilder(HTMLParser):
    VOID = frozenset({"meta", "link", "br", "hr", "img", "input"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, dict(attrs))
        self.stack[-1].children.append(node)
        if tag not in self.VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(Node(tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        # Well-formed: every element is closed, in order.
        assert self.stack[-1].tag == tag, f"</{tag}> closes <{self.stack[-1].tag}>"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse(page: str) -> Node:
    builder = _TreeBuilder()
    builder.feed(page)
    builder.close()
    assert builder.stack == [builder.root], "unclosed elements"
    return builder.root


def figures(tree: Node) -> dict[str, list[str]]:
    """Each headline figure's key and the texts of its <dd> elements."""
    return {
        n.attrs["data-figure"] or "": [dd.text() for dd in n.find("dd")]
        for n in tree.find("div", cls="figure")
    }


def table(tree: Node, section_id: str) -> list[list[str]]:
    section = tree.one("section", id=section_id)
    return [[td.text() for td in tr.find("td")] for tr in section.one("tbody").find("tr")]


# ---- the page's structure, on SQLite and PostgreSQL -----------------------------------------


def test_the_headline_figures_are_the_analytics_figures(shop: Store) -> None:
    page = sales_report_html(shop, *WEEK)
    assert page.startswith("<!DOCTYPE html>\n")
    assert page == SalesReport.build(shop, *WEEK).to_html()
    shown = figures(parse(page))
    # By hand: 378.00 + 250.00 + 125.00 + 189.00 sold, 95.00 back; tax 63.00 + 5.00 + 31.50
    # (the tea's 15.83 in and out again).
    assert shown == {
        "total": [uah("847,00"), "after returns"],
        "sales": ["4", "receipts"],
        "average_basket": [uah("235,50")],  # 942.00 / 4
        "items_per_basket": ["2,00"],  # 2 + 1 + 3 + 1 + 1 = 8 items on 4 sales
        "returns": ["1", format_money(Money("-95.00", "UAH"), locale="uk_UA")],
        "discount": [uah("0,00")],
        "tax": [uah("99,50")],
        "net": [uah("747,50")],
    }
    s = Analytics(shop).summary(*WEEK)
    for key, money in {
        "total": s.total,
        "tax": s.tax,
        "net": s.net,
        "discount": s.discount,
    }.items():
        assert shown[key][0] == format_money(money, locale="uk_UA")


def test_a_bar_for_every_day_of_the_period(shop: Store) -> None:
    tree = parse(sales_report_html(shop, *WEEK))
    chart = tree.one("svg", id="sales-by-day")
    days = chart.find("g", cls="day")
    assert [d.attrs["data-day"] for d in days] == [
        (MON + timedelta(days=i)).isoformat() for i in range(7)
    ]
    totals = [d.one("rect", cls="bar").attrs["data-total"] for d in days]
    assert totals == ["628.00", "0.00", "30.00", "0.00", "189.00", "0.00", "0.00"]
    assert totals == [str(d.total.amount) for d in Analytics(shop).by_day(*WEEK).days]
    heights = [float(d.one("rect", cls="bar").attrs["height"] or "nan") for d in days]
    assert heights[1] == heights[3] == 0
    assert heights[0] / heights[4] == pytest.approx(628 / 189, rel=0.01)
    assert uah("628,00") in days[0].one("title").text()
    assert "2 sales" in days[0].one("title").text()
    ticks = [t.text() for t in chart.find("text", text_anchor="end")]
    assert ticks[0] == "0" and "600" in ticks, ticks  # a money axis from zero past the top day


def test_a_heat_map_cell_for_every_weekday_and_hour(shop: Store) -> None:
    tree = parse(sales_report_html(shop, *WEEK))
    cells = tree.one("svg", id="heatmap").find("rect", cls="cell")
    assert len(cells) == 7 * 24
    grid = {(int(c.attrs["data-weekday"] or ""), int(c.attrs["data-hour"] or "")): c for c in cells}
    assert sorted(grid) == [(w, h) for w in range(7) for h in range(24)]
    busy = {k: c.attrs["data-count"] for k, c in grid.items() if c.attrs["data-count"] != "0"}
    assert busy == {(0, 9): "1", (0, 12): "1", (2, 10): "1", (4, 18): "1"}  # local hours
    heat = Analytics(shop).heatmap(*WEEK)
    assert all(c.attrs["data-count"] == str(heat.counts[w][h]) for (w, h), c in grid.items())
    idle = {c.attrs["fill"] for k, c in grid.items() if k not in busy}
    assert len(idle) == 1 and idle.isdisjoint(grid[k].attrs["fill"] for k in busy)
    assert grid[2, 10].one("title").text() == f"Wednesday 10:00–11:00: 1 sale, {uah('30,00')}"


def test_top_products_and_the_tables(shop: Store) -> None:
    tree = parse(sales_report_html(shop, *WEEK))
    products = tree.one("svg", id="top-products").find("g", cls="product")
    assert [p.attrs["data-sku"] for p in products] == ["COFFEE", "BOOK", "EVIL", "TEA"]
    amounts = [p.one("text", cls="amount").text() for p in products]
    assert amounts == [uah("567,00"), uah("250,00"), uah("30,00"), uah("0,00")]
    widths = [float(p.one("rect").attrs["width"] or "nan") for p in products]
    assert widths[0] > widths[1] > widths[2] > widths[3] == 0  # the tea came back
    assert table(tree, "categories") == [  # the biggest first, no category last
        ["drinks", "4", "3", uah("472,50"), uah("567,00")],  # the tea in and out: two lines
        [TREATS, "1", "3", uah("25,00"), uah("30,00")],
        ["No category", "1", "1", uah("250,00"), uah("250,00")],
    ]
    assert table(tree, "tenders") == [
        ["Cash", "2", uah("439,00")],
        ["Card", "3", uah("408,00")],  # 378.00 + 125.00 - 95.00
    ]
    total = tree.one("section", id="tenders").one("tfoot").find("td")
    assert [td.text() for td in total] == ["Total", "5", uah("847,00")]


def test_names_from_the_data_are_shown_as_text(shop: Store) -> None:
    page = sales_report_html(shop, *WEEK, title="Week </title><script>x()</script>")
    assert "<script" not in page.lower()  # no script of ours, none smuggled in
    tree = parse(page)
    assert tree.one("head").one("title").text().startswith("Week </title><script>x()</script> · ")
    evil = tree.one("g", cls="product", data_sku="EVIL")
    assert evil.one("text", cls="name").text() == HOSTILE
    assert tree.one("header").find("p", cls="meta")[0].text() == SHOP_NAME
    assert tree.one("header").find("b") == []


def test_an_empty_period_says_so(shop: Store) -> None:
    for page in (
        sales_report_html(shop, date(2026, 11, 1), date(2026, 11, 23)),  # before the first sale
        sales_report_html(shop, *WEEK, register_id="till-9"),  # a till that sold nothing
    ):
        tree = parse(page)
        assert tree.one("p", cls="empty").text() == "No sales in this period"
        assert tree.find("svg") == []
        shown = figures(tree)
        assert shown["total"][0] == shown["average_basket"][0] == uah("0,00")
        assert shown["items_per_basket"] == ["0,00"]
    assert "Register till-9" in page


def test_an_empty_store_renders_an_empty_month(open_store: OpenStore, durable_url: str) -> None:
    store = open_store(durable_url, settings=KYIV)
    tree = parse(sales_report_html(store, date(2026, 11, 1), date(2026, 12, 1)))
    period = tree.one("p", cls="period").text().replace("\u202f", " ")  # CLDR's narrow space
    assert period == "1 лист. 2026 р. – 30 лист. 2026 р."
    assert tree.one("p", cls="empty").text() == "No sales in this period"


def test_the_locale_the_title_and_how_many_products(shop: Store) -> None:
    report = SalesReport.build(shop, *WEEK, locale="en_US", top=2, title="Kyiv, week 48")
    assert report.locale == "en_US" and not report.is_empty
    tree = parse(report.to_html())
    assert tree.one("html").attrs["lang"] == "en"
    assert tree.one("h1").text() == "Kyiv, week 48"
    assert tree.one("p", cls="period").text() == "Nov 23, 2026 – Nov 29, 2026"
    assert figures(tree)["total"][0] == "UAH847.00"
    assert len(tree.find("g", cls="product")) == 2
    assert parse(sales_report_html(shop, *WEEK)).one("html").attrs["lang"] == "uk"
    with pytest.raises(ReportError):
        sales_report_html(shop, MON, MON)


# ---- in a real browser --------------------------------------------------------------------

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


def _missing(message: str) -> NoReturn:
    """Skip, except in CI (POSSDK_CI=1), where a missing browser is a failure."""
    if os.environ.get("POSSDK_CI") == "1":
        pytest.fail(message)
    pytest.skip(message)


def _chromium() -> Path:
    path = Path("/usr/bin/chromium")
    if not path.exists():
        _missing(
            f"no {path}: install Debian's chromium with `apt-get install -y chromium` "
            "(.ci/run does this as root)"
        )
    return path


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextlib.contextmanager
def serve(directory: Path) -> Iterator[str]:
    """Serve ``directory`` on a free port of 127.0.0.1; yields the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}"
        finally:
            server.shutdown()
            thread.join()


VISIBLE = "els => els.filter(e => { const r = e.getBoundingClientRect();"
VISIBLE += " return r.width > 0 && r.height > 0 }).length"


def test_the_page_draws_in_headless_chromium(open_store: OpenStore, tmp_path: Path) -> None:
    chromium = _chromium()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("the playwright package is missing: pip install -e '.[dev]'")
    clock = FixedClock(datetime(2026, 11, 23, 7, 0, tzinfo=timezone.utc))
    store = open_store(
        sqlite_file_url(tmp_path), catalog=shop_catalog(), settings=KYIV, clock=clock
    )
    ring_up(store, clock)
    site = tmp_path / "site"
    site.mkdir()
    (site / "report.html").write_text(sales_report_html(store, *WEEK), encoding="utf-8")
    artifacts = Path(os.environ.get("POSSDK_ARTIFACTS", "build/test-artifacts"))
    artifacts.mkdir(parents=True, exist_ok=True)
    shot = artifacts / "sales-report.png"

    errors: list[str] = []
    requests: list[str] = []
    dialogs: list[str] = []
    with serve(site) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.set_default_timeout(30_000)
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("request", lambda r: requests.append(r.url))

            def on_dialog(dialog: Dialog) -> None:
                dialogs.append(dialog.message)
                dialog.dismiss()

            page.on("dialog", on_dialog)
            response = page.goto(f"{base}/report.html", wait_until="load")
            assert response is not None and response.ok

            for chart in ("sales-by-day", "heatmap", "top-products"):
                box = page.locator(f"svg#{chart}").bounding_box()
                assert box is not None and box["width"] > 0 and box["height"] > 0, chart
            assert page.eval_on_selector_all("#sales-by-day g.day", VISIBLE) == 7
            drawn = page.eval_on_selector_all("#sales-by-day rect.bar", VISIBLE)
            assert drawn == 3  # Monday, Wednesday and Friday sold; the rest are zero
            assert page.eval_on_selector_all("#heatmap rect.cell", VISIBLE) == 7 * 24
            assert page.eval_on_selector_all("#top-products rect.product-bar", VISIBLE) == 3
            assert page.locator("#top-products text.name", has_text=HOSTILE).count() == 1
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()

    assert errors == []
    assert dialogs == []  # the product named <script>alert(1)</script> ran nothing
    assert requests == [f"{base}/report.html"]  # self-contained: nothing else was fetched
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_discounts_and_the_margin_show_when_there_are_any(open_store: OpenStore) -> None:
    clock = FixedClock(datetime(2026, 11, 23, 7, 0, tzinfo=timezone.utc))
    store = open_store("sqlite://", catalog=shop_catalog(), settings=KYIV, clock=clock)
    plain = parse(sales_report_html(store, *WEEK))
    assert "margin" not in figures(plain) and not plain.find("section", id="discounts")

    from possdk.loyalty import PercentOff, Promotion

    store.inventory.receive_stock([("COFFEE", 10, "110.00")])
    store.loyalty.promotions.add(
        Promotion("coffee-10", "Coffee -10%", PercentOff(10, skus={"COFFEE"}))
    )
    till = store.register("till-1").open_session(operator=CASHIER.id)
    sale = till.new_sale()
    sale.add("COFFEE", 2)  # 378.00 - 37.80 = 340.20, net 283.50, cost 220.00
    sale.add("BOOK")  # 250.00 less 20.00 by hand; no cost known
    sale.discount_line(2, amount="20.00", approved_by=SUPERVISOR.id)
    sale.pay("card")
    sale.complete()
    tree = parse(sales_report_html(store, *WEEK))
    assert figures(tree)["margin"] == [uah("63,50"), "22,4 % of costed sales"]  # 63.50 / 283.50
    assert table(tree, "discounts") == [
        ["Coffee -10%", "1", uah("37,80")],
        ["Given by hand", "", uah("20,00")],
    ]
    foot = tree.one("section", id="discounts").one("tfoot")
    assert [td.text() for td in foot.find("td")] == ["Total", "", uah("57,80")]

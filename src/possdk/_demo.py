"""``possdk demo``: a scripted trading day in a small shop, from the float to the Z report."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import attrs

from possdk._hooks import hookimpl
from possdk._store import Settings, Store
from possdk.core import (
    Action,
    BarcodeLayouts,
    CardDisplay,
    Catalog,
    FixedClock,
    MeasureKind,
    Money,
    Operator,
    Product,
    ProductKind,
    Receipt,
    Role,
    RoundingMode,
    TaxCategory,
    TaxMode,
    TaxPolicy,
    TaxRate,
    TenderKind,
    Unit,
    VariableMeasureLayout,
    currency,
    luhn_digit,
)
from possdk.core._decimal import EXACT
from possdk.errors import PaymentDeclinedError, PermissionDeniedError
from possdk.inventory import OrderSuggestion, ReorderRule, StockLevel, Supplier, SupplierItem
from possdk.loyalty import (
    BuyXGetY,
    CouponPresent,
    LoyaltyCard,
    LoyaltyProgramme,
    PercentOff,
    Promotion,
    Schedule,
    Tier,
    TimeOfDay,
)
from possdk.payments import CardTerminalSimulator, Step

__all__ = ["DemoProfile", "build_store", "run_demo"]


@attrs.frozen
class DemoProfile:
    """Names and taxes that make the demo shop feel local."""

    shop: tuple[str, ...]
    tax: TaxPolicy
    rates: tuple[TaxRate, ...]
    names: dict[str, str]
    cashier: str
    supervisor: str
    timezone: str


_NAMES_UK = {
    "COFFEE": "Кава в зернах 250 г",
    "BREAD": "Хліб житній",
    "MILK": "Молоко 2,5% 1 л",
    "BANANA": "Банани (ваговий)",
    "CHEESE": "Сир твердий (фасований)",
    "CIGS": "Сигарети",
    "CROISSANT": "Круасан",
    "WATER": "Вода мінеральна 1,5 л",
    "GIFT": "Подарункова картка",
    "promo:croissants": "Круасани: 2 + 1 у подарунок",
    "promo:happy-hour": "Щаслива година: кава -20%",
    "promo:welcome": "Купон WELCOME: -10%",
}
_CATEGORIES = {
    "COFFEE": "coffee",
    "BREAD": "bakery",
    "MILK": "dairy",
    "BANANA": "fruit",
    "CHEESE": "dairy",
    "CIGS": "tobacco",
    "CROISSANT": "bakery",
    "WATER": "drinks",
}
_NAMES_EN = {
    "COFFEE": "Coffee beans 250 g",
    "BREAD": "Rye bread",
    "MILK": "Milk 2.5% 1 l",
    "BANANA": "Bananas (by weight)",
    "CHEESE": "Hard cheese (cut)",
    "CIGS": "Cigarettes",
    "CROISSANT": "Croissant",
    "WATER": "Mineral water 1.5 l",
    "GIFT": "Gift card",
    "promo:croissants": "Croissants: buy 2, get 1 free",
    "promo:happy-hour": "Happy hour: coffee -20%",
    "promo:welcome": "Coupon WELCOME: -10%",
}


def profile_for(locale: str, currency_code: str) -> DemoProfile:
    """A Ukrainian shop with VAT in prices, or a US one with sales tax added at the till."""
    if currency_code == "USD":
        tax = TaxRate("SALES", "8.875", name="Sales tax")
        return DemoProfile(
            shop=("Corner Grocery", "12 Main Street", "Tax ID 12-3456789"),
            tax=TaxPolicy(mode=TaxMode.EXCLUSIVE),
            rates=(tax, TaxRate("NONE", "0", name="Exempt"), TaxRate("TOB", "5", name="Tobacco")),
            names=_NAMES_EN,
            cashier="Jamie",
            supervisor="Morgan",
            timezone="America/New_York",
        )
    uk = locale.startswith("uk")
    return DemoProfile(
        shop=(
            ("Крамниця «Зерно»", "вул. Хрещатик, 1, Київ", "ІПН 1234567890")
            if uk
            else ("Zerno grocery", "1 Khreshchatyk St, Kyiv", "Tax no. 1234567890")
        ),
        tax=TaxPolicy(mode=TaxMode.INCLUSIVE),
        rates=(
            TaxRate("VAT20", "20", name="ПДВ" if uk else "VAT"),
            TaxRate("VAT7", "7", name="ПДВ" if uk else "VAT"),
            TaxRate("EXC5", "5", name="Акциз" if uk else "Excise"),
        ),
        names=_NAMES_UK if uk else _NAMES_EN,
        cashier="Олена" if uk else "Olena",
        supervisor="Тарас" if uk else "Taras",
        timezone="Europe/Kyiv",
    )


def _price(value: str, code: str) -> Money:
    return Money(value, code).round(mode=RoundingMode.HALF_UP)


class StockWatcher:
    """A plugin that says when stock runs low, as a buyer's screen would."""

    def __init__(self) -> None:
        self.out: Callable[[str], None] = print

    @hookimpl
    def possdk_stock_low(self, level: StockLevel, suggestion: OrderSuggestion | None) -> None:
        """Print the level that crossed its reorder point and what to order."""
        self.out(
            f"--- stock low: {level.sku} at {level.location_id} has {level.available} available "
            f"(reorder point {level.reorder_point})"
        )
        if suggestion is not None:
            for line in suggestion.lines:
                cost = "" if line.unit_cost is None else f" at {line.unit_cost} each"
                self.out(
                    f"--- suggested order to {suggestion.supplier_id}: {line.quantity} x "
                    f"{line.sku} ({line.supplier_code}){cost}, to reach {line.order_up_to} "
                    f"in whole packs"
                )


# What the wholesaler delivers on the first morning (and supplies ever after):
# sku -> (supplier code, cost per unit, pack size, first order).
_STOCK = {
    "COFFEE": ("ZW-COF-250", "121.40", "6", "12"),
    "BREAD": ("ZW-BRD-01", "19.80", "10", "20"),
    "MILK": ("ZW-MLK-1L", "27.15", "12", "24"),
    "CROISSANT": ("ZW-CRS", "21.00", "10", "30"),
    "WATER": ("ZW-WTR-15", "13.20", "6", "24"),
}


def build_store(
    *,
    locale: str,
    currency_code: str,
    clock: FixedClock,
    url: str = "sqlite://",
    plugins: tuple[object, ...] = (),
) -> Store:
    """The demo shop: eight products, two operators, variable-measure layouts."""
    prof = profile_for(locale, currency_code)
    standard_rate, reduced_rate, excise_rate = prof.rates
    categories = [
        TaxCategory("standard", [standard_rate]),
        TaxCategory("reduced", [reduced_rate]),
        TaxCategory("tobacco", [standard_rate, excise_rate]),
    ]
    price_decimals = currency(currency_code).minor_units
    layouts = BarcodeLayouts(
        [
            WEIGHT_LAYOUT,
            VariableMeasureLayout.standard("22", MeasureKind.PRICE, price_decimals),
        ]
    )
    n = prof.names
    products = [
        Product(
            "COFFEE",
            n["COFFEE"],
            _price("189.00", currency_code),
            "standard",
            barcodes=["4820000000017"],
        ),
        Product(
            "BREAD",
            n["BREAD"],
            _price("32.50", currency_code),
            "reduced",
            barcodes=["4820000000024"],
        ),
        Product(
            "MILK", n["MILK"], _price("41.90", currency_code), "reduced", barcodes=["4820000000031"]
        ),
        Product(
            "BANANA",
            n["BANANA"],
            _price("67.90", currency_code),
            "standard",
            unit=Unit.KILOGRAM,
            plu="00123",
        ),
        Product(
            "CHEESE",
            n["CHEESE"],
            _price("459.00", currency_code),
            "standard",
            unit=Unit.KILOGRAM,
            plu="00456",
        ),
        Product(
            "CIGS", n["CIGS"], _price("95.00", currency_code), "tobacco", barcodes=["4820000000048"]
        ),
        Product(
            "CROISSANT",
            n["CROISSANT"],
            _price("38.00", currency_code),
            "standard",
            barcodes=["4820000000055"],
        ),
        Product(
            "WATER",
            n["WATER"],
            _price("24.75", currency_code),
            "standard",
            barcodes=["4820000000062"],
        ),
    ]
    products = [attrs.evolve(p, category=_CATEGORIES[p.sku]) for p in products]
    products.append(
        Product(
            "GIFT",
            n["GIFT"],
            _price("500.00", currency_code),
            "standard",
            kind=ProductKind.GIFT_CARD,
        )
    )
    catalog = Catalog(categories, products, layouts=layouts)
    cashier_role = attrs.evolve(Role.cashier(), allowed=frozenset({Action.PAID_IN_OUT}))
    operators = [
        Operator("cashier-1", prof.cashier, cashier_role),
        Operator("super-1", prof.supervisor, Role.supervisor()),
    ]
    settings = Settings(
        currency=currency_code,
        locale=locale,
        tax=prof.tax,
        receipt_header=prof.shop,
        timezone=prof.timezone,
    )
    terminal = CardTerminalSimulator(
        id="demo-card",
        script=[
            Step.decline("51", "insufficient funds"),
            Step.approve(),
            Step.partial(Money("300.00", currency_code).round(mode=RoundingMode.HALF_UP)),
        ],
        card=CardDisplay("VISA", "4242", "424242"),
    )
    wallet = CardTerminalSimulator(
        id="demo-wallet", kind=TenderKind.MOBILE, card=CardDisplay("MASTERCARD", "5100", "510000")
    )
    return Store.open(
        url,
        settings=settings,
        catalog=catalog,
        operators=operators,
        clock=clock,
        plugins=[terminal, wallet, *plugins],
    )


WEIGHT_LAYOUT = VariableMeasureLayout.standard("21", MeasureKind.WEIGHT, 3)


def weighed_code(plu: str, grams: int) -> str:
    """A prefix-21 EAN-13 carrying a weight in grams, as a shop scale prints it."""
    return WEIGHT_LAYOUT.encode(plu, Decimal(f"{grams}E-3")).code


def priced_code(plu: str, minor: int, minor_units: int) -> str:
    """A prefix-22 EAN-13 carrying a price in minor units."""
    layout = VariableMeasureLayout.standard("22", MeasureKind.PRICE, minor_units)
    return layout.encode(plu, Decimal(f"{minor}E-{minor_units}")).code


def run_demo(
    *,
    locale: str = "uk_UA",
    currency_code: str = "UAH",
    width: int = 42,
    out: Callable[[str], None] = print,
    db: str = "sqlite://",
    devices: str | None = None,
    html_report: Path | None = None,
) -> Store:
    """Run the scripted day and print every receipt and the Z report through ``out``.

    With ``html_report``, the day's HTML sales report is written there too.

    With ``db`` naming a kept store (``sqlite:///possdk-demo.db``), each run is
    the next trading day of the same shop: receipt numbers, Z numbers and the
    journal carry on. With ``devices="sim"``, till-1 gets a simulated receipt
    printer, cash drawer and customer display: every receipt is printed on the
    virtual ESC/POS printer and shown as it decodes the bytes back, and the
    display's frames during the first sale are shown too.
    """
    if devices not in (None, "sim"):
        from possdk.errors import ConfigurationError

        raise ConfigurationError(f"unknown demo devices {devices!r}; use sim")
    local_zone = ZoneInfo(profile_for(locale, currency_code).timezone)
    start = datetime(2026, 11, 27, 9, 0, tzinfo=local_zone)  # the shop opens at nine
    clock = FixedClock(start.astimezone(timezone.utc), step=timedelta(seconds=7))
    _check_same_shop(db, currency_code)
    watcher = StockWatcher()
    watcher.out = out
    store = build_store(
        locale=locale, currency_code=currency_code, clock=clock, url=db, plugins=(watcher,)
    )
    code = currency_code

    def show(title: str, text: str) -> None:
        out(f"\n=== {title} ===")
        out(text.rstrip("\n"))

    def note(text: str) -> None:
        out(f"--- {text}")

    till = _SimTill(store, width) if devices == "sim" else None

    def show_receipt(title: str, receipt: Receipt) -> None:
        if till is None:
            show(title, receipt.as_text(width=width, locale=locale))
        else:
            show(f"{title} (printed on {till.printer.spec.name})", till.print(receipt, locale))

    leftover = store.register("till-1").session
    left_parked = store.suspended_sales()
    if leftover is not None or left_parked:  # an interrupted run: tidy up, count, close
        cleanup = leftover or store.register("till-1").open_session(operator="cashier-1")
        for snapshot in left_parked:
            cleanup.resume(snapshot.sale_id).void(
                reason="left by an interrupted run", approved_by="super-1"
            )
        cleanup.close(counted_cash=cleanup.expected_cash())
        note("closed what an interrupted run left open")
    day = len(store.z_reports())
    clock.advance(timedelta(days=day))
    note(f"store {store.backend.url}, trading day {day + 1}")
    # 0. Before opening: the morning delivery, received against its purchase order.
    _morning_delivery(store, note)
    session = store.register("till-1").open_session(operator="cashier-1", opening_float="500.00")
    note(f"session opened on till-1 with a float of {session.opening_float}")
    if till is not None:
        note("devices on till-1: " + ", ".join(d.spec.name for d in store.devices.all()))

    # 1. Scanned items, a weighed banana bunch from the scale's label, paid in cash.
    clock.advance(timedelta(minutes=12))
    sale = session.new_sale()
    sale.scan("4820000000017")  # coffee
    sale.scan("4820000000024")  # bread
    sale.scan("4820000000024")  # another bread
    sale.scan(weighed_code("00123", 1347))  # 1.347 kg of bananas
    sale.scan("04820000000031")  # milk, scanned as a GTIN-14
    if till is not None:  # what the customer saw: each item as scanned, then the total
        for line in sale.active_lines:
            till.display.show_item(line.name, line.unit_price, quantity=line.quantity)
        till.display.show_total(sale.total)
    tendered = "500" if code != "JPY" else "1000"
    sale.pay(TenderKind.CASH, tendered)
    receipt1 = sale.complete()
    if till is not None:
        till.display.show_change(receipt1.change)
        show("customer display during sale 1", till.frames())
    show_receipt("sale 1: scanned and weighed items, cash with change", receipt1)

    # 2. A split tender: part by card, the rest in cash (only cash is rounded).
    clock.advance(timedelta(minutes=9))
    sale = session.new_sale()
    units = currency(code).minor_units
    sale.scan(priced_code("00456", 18733 if units else 187, units))  # cut cheese, price on label
    sale.add("CIGS", 2)
    sale.add("WATER")
    try:
        sale.pay(TenderKind.CARD, "200.00")
    except PaymentDeclinedError as exc:
        note(f"card declined: {exc.code} {exc.reason}; the customer tries another card")
    sale.pay(TenderKind.CARD, "200.00")
    sale.pay(TenderKind.CASH, "300")
    receipt2 = sale.complete()
    show_receipt("sale 2: a declined card, then card and cash", receipt2)

    # 3. A 15% discount is above the cashier's 5% limit: the supervisor approves it.
    clock.advance(timedelta(minutes=7))
    sale = session.new_sale()
    sale.add("COFFEE", 3)
    try:
        sale.discount_line(1, percent="15", reason="damaged pack")
    except PermissionDeniedError as exc:
        note(f"refused: {exc}")
    sale.discount_line(1, percent="15", reason="damaged pack", approved_by="super-1")
    note("supervisor approved the discount")
    partial = sale.pay(TenderKind.CARD)  # a prepaid card with less on it: partly approved
    note(f"card approved only {partial.amount} of {sale.total}; the rest by phone")
    sale.pay(TenderKind.MOBILE)
    receipt3 = sale.complete()
    show_receipt("sale 3: discount with supervisor approval, a partial card approval", receipt3)

    # 4. A customer forgets their wallet: the sale is parked, the next one served, then resumed.
    clock.advance(timedelta(minutes=5))
    parked = session.new_sale()
    parked.add("CROISSANT", 4)
    parked.add("MILK", 2)
    session.suspend(parked)
    note(f"sale {parked.id} parked with {len(parked.active_lines)} lines")
    sale = session.new_sale()
    sale.add("WATER", 2)
    sale.pay(TenderKind.MOBILE)
    receipt4 = sale.complete()
    show_receipt("sale 4: served while another sale is parked", receipt4)
    clock.advance(timedelta(minutes=3))
    resumed = session.resume(parked.id)
    resumed.discount_sale(percent="5", reason="sorry for the wait")
    gift = store.loyalty.gift_cards.issue(  # a goodwill card the shop gave her last week
        Money("100.00", code).round(mode=RoundingMode.HALF_UP), number=_card_number(day, 1)
    ).number
    resumed.pay(TenderKind.GIFT_CARD, "100.00", reference=gift)
    resumed.pay(TenderKind.CASH, "200")
    receipt5 = resumed.complete()
    show_receipt("sale 5: the parked sale, resumed, with a sale discount", receipt5)

    # 5. A return against receipt 1: one loaf of bread, refunded in cash at the price paid.
    clock.advance(timedelta(minutes=40))
    ret = session.new_return(store.receipt(receipt1.number), approved_by="super-1")
    bread_line = next(p.line.line_no for p in receipt1.lines if p.line.sku == "BREAD")
    ret.return_line(bread_line, 1)
    ret.refund(TenderKind.CASH)
    receipt6 = ret.complete()
    show_receipt("return: one item against receipt 1", receipt6)

    # A return against receipt 3: one coffee, refunded to the card that paid for it.
    ret = session.new_return(store.receipt(receipt3.number), approved_by="super-1")
    ret.return_line(1, 1)
    ret.refund(TenderKind.CARD)
    receipt7 = ret.complete()
    show_receipt("return: refunded to the card that paid", receipt7)

    # A café buys milk by the crate: the milk falls to its reorder point and the
    # stock watcher (a possdk_stock_low plugin) prints what to order.
    clock.advance(timedelta(minutes=20))
    milk = store.inventory.level("MILK")
    assert milk.reorder_point is not None
    crate = max(EXACT.subtract(milk.available, milk.reorder_point), Decimal(1))
    sale = session.new_sale()
    sale.add("MILK", crate)
    sale.pay(TenderKind.CARD)
    receipt8 = sale.complete()
    show_receipt(f"sale 6: {crate} bottles of milk for the café", receipt8)
    for po in store.inventory.create_draft_orders():
        lines = ", ".join(f"{ln.quantity} x {ln.sku}" for ln in po.lines)
        note(f"draft {po.number} for {po.supplier_id} to send tomorrow: {lines}")

    # A quick cycle count of two items while the shop stays open: one loaf is missing.
    count = store.inventory.start_count(skus=["BREAD", "WATER"])
    bread = store.inventory.level("BREAD").on_hand
    store.inventory.record_count(count.number, "BREAD", max(EXACT.subtract(bread, 1), Decimal(0)))
    for _ in range(int(store.inventory.level("WATER").on_hand)):
        store.inventory.scan_count(count.number, "4820000000062")  # every bottle scanned
    result = store.inventory.finish_count(count.number)
    show("cycle count", result.as_text(width=width))
    note(f"stock at cost after the count: {store.inventory.valuation().total}")

    # Loyalty: a returning customer, two promotions, a coupon, a gift card sold and spent.
    card = _loyalty_setup(store, day)
    loyalty = store.loyalty
    clock.advance(timedelta(minutes=15))
    sale = session.new_sale()
    olha = loyalty.identify(sale, card.number)  # she scans her loyalty card
    note(f"loyalty card {card.number}: {olha.name}, {olha.points} points, tier {olha.tier}")
    sale.add("CROISSANT", 3)  # buy 2, get 1 free
    sale.add("COFFEE")
    sale.pay(TenderKind.CARD)
    receipt9 = sale.complete()
    show_receipt("sale 7: a loyalty card and a buy-2-get-1", receipt9)
    note(
        f"{olha.name}'s points are on the receipt: the sale earned {receipt9.points_earned}, "
        f"her balance is {receipt9.points_balance} (the ledger says "
        f"{loyalty.points.balance(olha.id)})"
    )

    # Happy hour (17:00-19:00, coffee -20%) with a welcome coupon on top.
    _advance_to(clock, local_zone, 17, 5)
    sale = session.new_sale()
    sale.add("COFFEE", 2)
    sale.add("WATER")
    coupon = f"WELCOME-{day + 1:03d}"
    loyalty.coupons.apply(sale, coupon)
    sale.pay(TenderKind.CASH, "500" if code != "JPY" else "1000")
    receipt10 = sale.complete()
    show_receipt("sale 8: happy hour and a coupon", receipt10)
    note(f"coupon {coupon} used: {len(loyalty.coupons.redemptions(coupon))} redemption")

    # A gift card sold (untaxed, undiscounted), then spent on the next sale.
    clock.advance(timedelta(minutes=6))
    number = _card_number(day, 2)  # printed on the card
    sale = session.new_sale()
    sale.add_gift_card("GIFT", number, _price("500.00", code))
    sale.pay(TenderKind.CARD)
    receipt11 = sale.complete()
    show_receipt("sale 9: a gift card sold", receipt11)
    note(f"gift card *{number[-4:]} holds {loyalty.gift_cards.balance(number)}")
    clock.advance(timedelta(minutes=4))
    sale = session.new_sale()
    sale.add("CHEESE", "0.850")
    sale.add("CROISSANT", 2)
    on_card = loyalty.gift_cards.balance(number)
    sale.pay(TenderKind.GIFT_CARD, min(on_card, sale.balance_due), reference=number)
    if not sale.is_paid:
        sale.pay(TenderKind.CASH, "500" if code != "JPY" else "1000")
    receipt12 = sale.complete()
    show_receipt("sale 10: paid with the gift card", receipt12)
    note(
        f"gift card *{number[-4:]} now holds {loyalty.gift_cards.balance(number)}; gift cards "
        f"outstanding {loyalty.gift_cards.outstanding()}"
    )

    # Olha brings the coffee back: the points it earned are taken back.
    clock.advance(timedelta(minutes=10))
    before = loyalty.points.balance(olha.id)
    ret = session.new_return(store.receipt(receipt9.number), approved_by="super-1")
    coffee_line = next(p.line.line_no for p in receipt9.lines if p.line.sku == "COFFEE")
    ret.return_line(coffee_line, 1)
    ret.refund(TenderKind.CARD)
    receipt13 = ret.complete()
    show_receipt("return: the coffee from sale 7, points taken back", receipt13)
    note(
        f"{olha.name}'s points: {before} -> {loyalty.points.balance(olha.id)} "
        f"(the ledger agrees: {loyalty.points.check().ok}); points owed to customers "
        f"{loyalty.points.outstanding()}"
    )

    # 6. A voided sale and a paid-out.
    sale = session.new_sale()
    sale.add("CIGS")
    sale.void(reason="customer changed their mind", approved_by="super-1")
    note("a sale was voided with the supervisor's approval")
    session.paid_out("150.00", reason="window cleaning")
    note("paid out 150.00 for window cleaning")

    if till is not None:
        note(f"the cash drawer was opened {till.drawer.opens} times")  # after each cash tender
    # 7. Close at eight with a count by denomination.
    _advance_to(clock, local_zone, 20, 0)
    expected = session.expected_cash()
    counted = _count_for(expected)
    z = session.close(denominations=counted)
    show("Z report", z.as_text(width=width, locale=locale))
    if html_report is not None:
        from possdk.reports import sales_report_html

        today = (start + timedelta(days=day)).date()
        page = sales_report_html(
            store, today, today + timedelta(days=1), title=f"Sales of {today.isoformat()}"
        )
        html_report.write_text(page, encoding="utf-8")
        note(f"the day's HTML sales report: {html_report}")
    return store


class _SimTill:
    """till-1's simulated devices: a receipt printer, a cash drawer and a customer display."""

    def __init__(self, store: Store, width: int) -> None:
        from possdk.drivers._sim_printer import SimDrawer, VirtualPrinter
        from possdk.drivers._sim_serial import SimDisplay

        devices = store.devices
        printer = devices.add(
            f"sim://?width={width}", kind="receipt_printer", name="printer-1", register_id="till-1"
        )
        drawer = devices.add("sim://", kind="cash_drawer", name="drawer-1", register_id="till-1")
        display = devices.add("sim://", kind="display", name="display-1", register_id="till-1")
        assert isinstance(printer, VirtualPrinter)
        assert isinstance(drawer, SimDrawer)
        assert isinstance(display, SimDisplay)
        self.printer, self.drawer, self.display = printer, drawer, display
        self.width = width
        for device in (printer, drawer, display):
            device.open()

    def print(self, receipt: Receipt, locale: str) -> str:
        """Print a receipt on the virtual printer; the lines it decodes from the bytes it got."""
        from possdk.drivers._layout import receipt_document

        self.printer.clear()
        self.printer.print_document(receipt_document(receipt, width=self.width, locale=locale))
        return "\n".join(self.printer.lines())

    def frames(self) -> str:
        """Every frame the display showed, each boxed as the customer saw it."""
        rule = "+" + "-" * self.display.width + "+"
        boxes = []
        for frame in self.display.frames:
            rows = [*frame, *[""] * (self.display.rows - len(frame))]
            boxes.append("\n".join([rule, *(f"|{r:<{self.display.width}}|" for r in rows), rule]))
        return "\n".join(boxes)


def _loyalty_setup(store: Store, day: int) -> LoyaltyCard:
    """The programme, the promotions, today's coupon and the regular customer (idempotent)."""
    from possdk.errors import CustomerNotFoundError

    loyalty = store.loyalty
    code = store.settings.currency
    names = profile_for(store.settings.locale, code).names
    whole = currency(code).minor_units == 0
    if loyalty.points.programme is None:
        loyalty.points.configure(
            LoyaltyProgramme(
                points_per_unit=1,
                spend_unit=Decimal(100 if whole else 10),  # a point per 10.00 paid
                excluded_categories=frozenset({"tobacco"}),
                point_value=Decimal(1 if whole else "0.10"),
                min_redemption=50,
                tiers=[Tier("silver", 50, "1.25"), Tier("gold", 500, "1.5")],
            )
        )
    promotions = [
        Promotion(
            "croissants-2+1",
            names["promo:croissants"],
            BuyXGetY(2, 1, skus={"CROISSANT"}),
            priority=10,
        ),
        Promotion(
            "happy-hour",
            names["promo:happy-hour"],
            PercentOff(20, categories={"coffee"}),
            schedule=Schedule(hours=(TimeOfDay(time(17, 0), time(19, 0)),)),
            priority=20,
        ),
        Promotion(
            "welcome",
            names["promo:welcome"],
            PercentOff(10),
            conditions=(CouponPresent("WELCOME"),),
        ),
    ]
    missing = [p for p in promotions if p.id not in {q.id for q in loyalty.promotions.all()}]
    if missing:
        loyalty.promotions.add_all(missing)
    loyalty.coupons.create(f"WELCOME-{day + 1:03d}", campaign="WELCOME")  # single use
    try:
        regular = loyalty.customers.find("+380671234567")
    except CustomerNotFoundError:
        regular = loyalty.customers.add(
            "Ольга" if store.settings.locale.startswith("uk") else "Olha",
            phone="+380 67 123 45 67",
            marketing_consent=True,
        )
        loyalty.customers.issue_card(regular.id)
    return next(c for c in loyalty.customers.cards(regular.id) if c.status.value == "active")


def _card_number(day: int, n: int) -> str:
    """The demo's n-th gift card of a day: 20 digits ending in a Luhn check digit."""
    body = f"6003{day + 1:06d}{n:09d}"
    return body + luhn_digit(body)


def _advance_to(clock: FixedClock, zone: ZoneInfo, hour: int, minute: int) -> None:
    """Move the clock on to today's ``hour:minute`` in the shop's time zone (if not past it)."""
    now = clock.now().astimezone(zone)
    target = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if target > now:
        clock.advance(target - now)


def _morning_delivery(store: Store, note: Callable[[str], None]) -> None:
    """Send yesterday's draft order (or, the first morning, a first order) and receive it."""
    inventory = store.inventory
    code = store.settings.currency
    if not inventory.suppliers():
        inventory.add_supplier(Supplier("zerno-wholesale", "Zerno Wholesale"))
        for sku, (supplier_code, cost, pack, _) in _STOCK.items():
            inventory.set_supplier_item(
                SupplierItem(
                    "zerno-wholesale",
                    sku,
                    supplier_code,
                    _price(cost, code).amount,
                    pack_size=Decimal(pack),
                    preferred=True,
                )
            )
        first = {sku: Decimal(first) for sku, (_, _, _, first) in _STOCK.items()}
        inventory.create_order("zerno-wholesale", first, note="opening order")
    for draft in inventory.orders(status="draft"):
        inventory.send_order(draft.number)
    for po in inventory.orders(status="sent"):
        short = po.lines[0]  # one line arrives two short: the rest will not come
        got = {
            ln.sku: ln.quantity if ln is not short or ln.quantity <= 2 else ln.quantity - 2
            for ln in po.lines
        }
        received = inventory.receive_order(po.number, got)
        if received.status.value != "received":
            received = inventory.close_order(po.number)
        lines = ", ".join(f"{ln.received}/{ln.quantity} {ln.sku}" for ln in received.lines)
        note(f"delivery against {po.number} received ({lines}), {received.status.value}")
    if inventory.level("MILK").reorder_point is None:
        inventory.set_reorder_rule("MILK", ReorderRule.fixed(reorder_point=10, order_up_to=36))


def _check_same_shop(db: str, currency_code: str) -> None:
    from possdk.errors import ConfigurationError
    from possdk.storage import current_revision

    if db == "sqlite://" or current_revision(db) is None:
        return  # a new store
    with Store.open(db, load_entry_points=False) as existing:
        if existing.settings.currency != currency_code:
            raise ConfigurationError(
                f"the demo shop in {db} trades in {existing.settings.currency}, not "
                f"{currency_code}; pass --db with another database for another currency"
            )


def _count_for(expected: Money) -> dict[Decimal, int]:
    """Notes and coins for the expected cash, then one coin short (a small variance)."""
    minor_units = currency(expected.currency).minor_units
    faces = ("500", "200", "100", "50", "20", "10", "5", "2", "1", "0.50", "0.10")
    left = expected.minor
    counts: dict[Decimal, int] = {}
    for text in faces:
        face = Decimal(text)
        scaled = face.scaleb(minor_units, context=EXACT)
        face_minor = int(scaled)
        if face_minor == 0 or scaled != face_minor:
            continue
        n, left = divmod(left, face_minor)
        if n:
            counts[face] = n
    smallest = min(counts, default=None)
    if smallest is not None:  # one coin went missing during the day
        counts[smallest] -= 1
        if not counts[smallest]:
            del counts[smallest]
    return counts

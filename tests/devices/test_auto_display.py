"""The customer display follows each sale on its register."""

from __future__ import annotations

from possdk.drivers import enable_customer_display
from tests.conftest import make_store


def test_the_display_shows_each_item_the_balance_and_the_change() -> None:
    store = make_store()
    display = store.devices.add("sim://", kind="display", name="pole", register_id="till-1")
    other = store.devices.add("sim://", kind="display", name="pole-2", register_id="till-2")
    enable_customer_display(store)
    assert enable_customer_display(store) is enable_customer_display(store)  # once
    session = store.register("till-1").open_session(operator="cashier")
    sale = session.new_sale()
    sale.add("MILK")
    sale.add("GUM", 3)
    sale.pay("card", "20.00")
    sale.pay("cash", "50")
    sale.complete()
    frames = [tuple(line.rstrip() for line in f) for f in display.frames]
    assert frames[0][0].startswith("Milk 1 l")
    assert frames[1][1].strip() == "3 x 8.01 UAH"
    assert "To pay" in frames[2][0] and frames[2][1].strip() == "45.93 UAH"
    assert frames[-1][0].strip() == "Thank you!"
    assert frames[-1][1].split()[-2:] == ["4.10", "UAH"]  # 50 - 45.93, rounded to 0.10 cash
    assert other.frames == []  # another till's display saw nothing
    voided = session.new_sale()
    voided.add("MILK")
    voided.void(reason="test", approved_by="super")
    assert display.current == []  # blanked
    store.close()

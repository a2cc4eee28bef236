"""The README quickstart: a shop, a till, one sale, its receipt and the Z report."""

from __future__ import annotations

import possdk
from possdk import Money, Operator, Product, Role, Settings, Store, TaxCategory, TaxRate


def main() -> None:
    vat = TaxRate("VAT20", "20", name="ПДВ")
    catalog = possdk.Catalog(
        [TaxCategory("standard", [vat])],
        [
            Product(
                "COFFEE-250",
                "Кава 250 г",
                Money("189.00", "UAH"),
                "standard",
                barcodes=["4820000000017"],
            ),
            Product("CROISSANT", "Круасан", Money("38.00", "UAH"), "standard"),
        ],
    )
    store = Store.create(
        Settings(currency="UAH", locale="uk_UA", timezone="Europe/Kyiv"),
        catalog=catalog,
        operators=[Operator("cashier-1", "Олена", Role.cashier())],
    )

    session = store.register("till-1").open_session(operator="cashier-1", opening_float="500.00")
    sale = session.new_sale()
    sale.scan("4820000000017")  # barcode -> product
    sale.add("CROISSANT", quantity=2)
    sale.pay("cash", "500")  # cash rounds to 0.10 UAH and gives change
    receipt = sale.complete()
    print(receipt.as_text(width=42, locale="uk_UA"))

    z = session.close(counted_cash="765.00")
    print(z.as_text(width=42, locale="uk_UA"))


if __name__ == "__main__":
    main()

from possdk import TenderKind


def test_a_cash_sale_completes_with_change(session):
    sale = session.new_sale()
    sale.scan("4820000000017")
    sale.pay(TenderKind.CASH, "200")
    receipt = sale.complete()
    assert str(receipt.total) == "189.00 UAH"
    assert str(receipt.change) == "11.00 UAH"

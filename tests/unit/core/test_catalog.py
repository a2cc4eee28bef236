"""Products and the catalog: validation, look-ups in every barcode form, scanning."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from possdk import Money
from possdk.core import (
    BarcodeLayouts,
    Catalog,
    Gtin,
    GtinKind,
    MeasureKind,
    Product,
    ScanMatch,
    TaxCategory,
    Unit,
    VariableMeasureLayout,
    gtin_check_digit,
)
from possdk.errors import (
    CatalogError,
    DuplicateProductError,
    InvalidBarcodeError,
    ProductNotFoundError,
)
from tests.conftest import VAT20, make_catalog
from tests.strategies import prices, quantities

DIGITS = "0123456789"


def uah(amount: str) -> Money:
    return Money(amount, "UAH")


def product(sku: str = "TEA", **kwargs: object) -> Product:
    fields: dict[str, object] = {
        "name": f"Product {sku}",
        "price": uah("10.00"),
        "tax_category": "standard",
    }
    fields.update(kwargs)
    return Product(sku, **fields)  # type: ignore[arg-type]


def code(body: str) -> str:
    """The full code for ``body``, with its check digit."""
    return body + str(gtin_check_digit(body))


def all_forms(gtin14: str) -> list[str]:
    """Every 8/12/13/14-digit form a scanner could send for this GTIN."""
    return [gtin14[14 - n :] for n in (14, 13, 12, 8) if gtin14[: 14 - n] == "0" * (14 - n)]


# ---- products ----------------------------------------------------------------


@pytest.mark.parametrize("field", ["sku", "name", "tax_category"])
@pytest.mark.parametrize("value", ["", "   ", "\t\n", None])
def test_product_refuses_empty_text_fields(field, value):
    fields = {"sku": "TEA", "name": "Tea", "price": uah("1.00"), "tax_category": "standard"}
    fields[field] = value
    with pytest.raises(CatalogError, match=field):
        Product(**fields)


def test_product_validates_string_barcodes_on_construction():
    with pytest.raises(InvalidBarcodeError, match="should be 7"):
        product(barcodes=["4820000000010"])
    with pytest.raises(InvalidBarcodeError):
        product(barcodes=["4820000000017", "not a code"])


def test_product_accepts_a_single_string_barcode():
    p = product(barcodes="4820000000017")
    assert p.barcodes == (Gtin.parse("4820000000017"),)
    assert p.barcodes[0].kind is GtinKind.EAN_13


def test_product_accepts_gtins_and_strings_mixed_and_keeps_their_order():
    gtin = Gtin.parse("96385074")
    p = product(barcodes=[" 036000291452 ", gtin, "4006381333931"])
    assert [g.code for g in p.barcodes] == ["036000291452", "96385074", "4006381333931"]
    assert product(barcodes=gtin).barcodes == (gtin,)
    assert product().barcodes == ()


@pytest.mark.parametrize(
    ("unit", "decimals"),
    [(Unit.EACH, 0), (Unit.KILOGRAM, 3), (Unit.LITRE, 3), (Unit.METRE, 2)],
)
def test_quantity_decimals_default_from_the_unit(unit, decimals):
    assert product(unit=unit).decimals == decimals


def test_quantity_decimals_can_be_overridden():
    assert product(unit=Unit.EACH, quantity_decimals=2).decimals == 2
    assert product(unit=Unit.KILOGRAM, quantity_decimals=0).decimals == 0


def test_product_attributes_are_a_read_only_copy():
    given_attributes = {"size": "L"}
    p = product(attributes=given_attributes)
    given_attributes["size"] = "XL"
    assert p.attributes["size"] == "L"
    with pytest.raises(TypeError):
        p.attributes["colour"] = "red"  # type: ignore[index]


# ---- adding and getting --------------------------------------------------------


def test_add_then_get_by_sku():
    catalog = make_catalog()
    tea = product("TEA", barcodes=["4006381333931"])
    before = len(catalog)
    catalog.add(tea)
    assert catalog.get("TEA") is tea
    assert "TEA" in catalog
    assert len(catalog) == before + 1
    assert tea in list(catalog)
    assert catalog.by_barcode("4006381333931") is tea


def test_get_unknown_sku_raises_a_readable_key_error():
    catalog = make_catalog()
    with pytest.raises(ProductNotFoundError) as info:
        catalog.get("NOPE")
    err = info.value
    assert isinstance(err, KeyError)
    assert isinstance(err, CatalogError)
    assert (err.key, err.by) == ("NOPE", "SKU")
    assert str(err).startswith("no product with SKU 'NOPE'")
    assert "NOPE" not in catalog


def test_make_catalog_lookups():
    catalog = make_catalog()
    assert len(catalog) == 8
    assert catalog.by_barcode("4820000000017").sku == "COFFEE"
    assert catalog.by_barcode("9780306406157").sku == "BOOK"
    assert catalog.by_plu("00123").sku == "BANANA"
    with pytest.raises(ProductNotFoundError, match="item code '99999'"):
        catalog.by_plu("99999")


@pytest.mark.parametrize(
    "scanned",
    ["4820000000017", "04820000000017", " 4820000000017", "4820000000017\n", "\t04820000000017 "],
)
def test_by_barcode_finds_ean_13_in_its_forms_and_with_whitespace(scanned):
    assert make_catalog().by_barcode(scanned).sku == "COFFEE"


@pytest.mark.parametrize("registered", ["036000291452", "0036000291452", "00036000291452"])
@pytest.mark.parametrize(
    "scanned", ["036000291452", "0036000291452", "00036000291452", " 036000291452 "]
)
def test_by_barcode_finds_upc_a_ean_13_and_gtin_14_forms_of_one_item(registered, scanned):
    catalog = make_catalog()
    catalog.add(product("CEREAL", barcodes=[registered]))
    assert catalog.by_barcode(scanned).sku == "CEREAL"


@pytest.mark.parametrize("scanned", ["96385074", "000096385074", "0000096385074", "00000096385074"])
def test_by_barcode_finds_gtin_8_in_every_form(scanned):
    catalog = make_catalog()
    catalog.add(product("MINTS", barcodes=["96385074"]))
    assert catalog.by_barcode(scanned).sku == "MINTS"


@pytest.mark.parametrize("scanned", ["4006381333931", "10012345678902", "036000291452", "96385074"])
def test_by_barcode_refuses_a_valid_unknown_code_with_product_not_found(scanned):
    catalog = make_catalog()
    with pytest.raises(ProductNotFoundError) as info:
        catalog.by_barcode(scanned)
    err = info.value
    assert isinstance(err, KeyError)
    assert err.by == "barcode"
    assert err.key == scanned
    assert str(err).startswith(f"no product with barcode '{scanned}'")


@pytest.mark.parametrize(
    "scanned",
    [
        "4820000000010",  # bad check digit
        "482000000001",  # a digit short (12 digits, bad check digit)
        "48200000000",  # 11 digits
        "4820000000017X",
        "482000000001٧",  # Arabic-Indic seven
        "",
        "   ",
        "-4820000000017",
        "+482000000017",
    ],
)
def test_by_barcode_refuses_a_malformed_code_with_invalid_barcode(scanned):
    with pytest.raises(InvalidBarcodeError):
        make_catalog().by_barcode(scanned)


@pytest.mark.parametrize("scanned", [None, 4820000000017, 96385074])
def test_by_barcode_refuses_a_non_string_with_invalid_barcode(scanned):
    # Gtin.parse and Catalog.scan report these as InvalidBarcodeError; so must by_barcode.
    with pytest.raises(InvalidBarcodeError):
        make_catalog().by_barcode(scanned)


# ---- duplicates and all-or-nothing ----------------------------------------------


@pytest.mark.parametrize(
    ("newcomer", "by", "key", "existing"),
    [
        (product("COFFEE"), "SKU", "COFFEE", "COFFEE"),
        (product("TEA", barcodes=["4820000000017"]), "barcode", "4820000000017", "COFFEE"),
        (product("TEA", barcodes=["04820000000017"]), "barcode", "04820000000017", "COFFEE"),
        (
            product("TEA", barcodes=["4006381333931", "4820000000024"]),
            "barcode",
            "4820000000024",
            "BREAD",
        ),
        (product("TEA", unit=Unit.KILOGRAM, plu="00123"), "item code", "00123", "BANANA"),
    ],
)
def test_duplicates_are_refused_naming_the_existing_product(newcomer, by, key, existing):
    catalog = make_catalog()
    with pytest.raises(DuplicateProductError) as info:
        catalog.add(newcomer)
    err = info.value
    assert (err.key, err.by, err.existing_sku) == (key, by, existing)
    assert f"already belongs to product {existing!r}" in str(err)
    assert len(catalog) == 8
    assert catalog.get(existing).sku == existing


def test_a_upc_a_form_of_a_registered_ean_13_is_a_duplicate():
    catalog = make_catalog()
    catalog.add(product("CEREAL", barcodes=["0036000291452"]))
    with pytest.raises(DuplicateProductError) as info:
        catalog.add(product("OTHER", barcodes=["036000291452"]))
    assert info.value.existing_sku == "CEREAL"


def test_duplicates_within_one_batch_are_refused():
    catalog = make_catalog()
    with pytest.raises(DuplicateProductError, match="'TEA'"):
        catalog.add_many([product("TEA"), product("TEA")])
    with pytest.raises(DuplicateProductError) as info:
        catalog.add_many(
            [product("TEA", barcodes=["4006381333931"]), product("JAM", barcodes=["4006381333931"])]
        )
    assert info.value.existing_sku == "TEA"
    with pytest.raises(DuplicateProductError) as info:
        catalog.add_many([product("A", plu="00999"), product("B", plu="00999")])
    assert info.value.existing_sku == "A"
    assert len(catalog) == 8


def test_catalog_constructor_refuses_duplicates():
    with pytest.raises(DuplicateProductError):
        Catalog(
            [TaxCategory("standard", [VAT20])],
            [product("A", barcodes="96385074"), product("B", barcodes="00000096385074")],
        )


def assert_batch_left_no_trace(catalog: Catalog) -> None:
    assert len(catalog) == 8
    assert "TEA" not in catalog
    assert "JAM" not in catalog
    with pytest.raises(ProductNotFoundError):
        catalog.get("TEA")
    with pytest.raises(ProductNotFoundError):
        catalog.by_barcode("4006381333931")
    with pytest.raises(ProductNotFoundError):
        catalog.by_barcode("96385074")
    with pytest.raises(ProductNotFoundError):
        catalog.by_plu("00777")
    with pytest.raises(ProductNotFoundError):
        catalog.scan(code("210077700500"))


@pytest.mark.parametrize(
    "bad",
    [
        product("COFFEE"),  # SKU taken
        product("X", barcodes=["4820000000031"]),  # MILK's barcode
        product("X", plu="00456"),  # CHEESE's item code
        product("X", barcodes=["4006381333931"]),  # TEA's barcode, earlier in the batch
        product("X", tax_category="luxury"),  # unknown tax category
    ],
)
def test_add_many_is_all_or_nothing(bad):
    catalog = make_catalog()
    batch = [
        product("TEA", barcodes=["4006381333931"], unit=Unit.KILOGRAM, plu="00777"),
        bad,
        product("JAM", barcodes=["96385074"]),
    ]
    with pytest.raises(CatalogError):
        catalog.add_many(batch)
    assert_batch_left_no_trace(catalog)
    # The same batch without the bad product goes in whole.
    assert catalog.add_many([batch[0], batch[2]]) == 2
    assert len(catalog) == 10
    assert catalog.by_barcode("96385074").sku == "JAM"
    assert catalog.by_plu("00777").sku == "TEA"


def test_add_many_accepts_a_generator_and_returns_the_count():
    catalog = make_catalog()
    added = catalog.add_many(product(f"P{i}", barcodes=code(f"400000000{i:03d}")) for i in range(5))
    assert added == 5
    assert len(catalog) == 13
    assert catalog.by_barcode(code("400000000003")).sku == "P3"


def test_unknown_tax_category_is_refused():
    catalog = make_catalog()
    with pytest.raises(CatalogError, match="luxury") as info:
        catalog.add(product("TEA", tax_category="luxury"))
    assert not isinstance(info.value, DuplicateProductError)
    assert "TEA" not in catalog
    catalog.add_tax_category(TaxCategory("luxury", [VAT20]))
    catalog.add(product("TEA", tax_category="luxury"))
    assert catalog.get("TEA").tax_category == "luxury"


# ---- replacing -----------------------------------------------------------------


def test_replace_updates_price_and_returns_the_old_version():
    catalog = make_catalog()
    old = catalog.get("COFFEE")
    new = product("COFFEE", name=old.name, price=uah("199.00"), barcodes=old.barcodes)
    assert catalog.replace(new) is old
    assert catalog.get("COFFEE").price == uah("199.00")
    assert catalog.by_barcode("4820000000017") is new
    assert catalog.scan("4820000000017").product is new
    assert len(catalog) == 8


def test_replace_moves_the_barcode_index():
    catalog = make_catalog()
    new = product("COFFEE", barcodes=["4006381333931"])
    catalog.replace(new)
    with pytest.raises(ProductNotFoundError):
        catalog.by_barcode("4820000000017")
    with pytest.raises(ProductNotFoundError):
        catalog.by_barcode("04820000000017")
    assert catalog.by_barcode("4006381333931") is new
    assert catalog.by_barcode("04006381333931") is new
    # The freed code can now go to another product.
    catalog.add(product("TEA", barcodes=["4820000000017"]))
    assert catalog.by_barcode("4820000000017").sku == "TEA"


def test_replace_moves_the_item_code_index():
    catalog = make_catalog()
    new = product("BANANA", unit=Unit.KILOGRAM, plu="00777")
    catalog.replace(new)
    with pytest.raises(ProductNotFoundError):
        catalog.by_plu("00123")
    assert catalog.by_plu("00777") is new
    assert catalog.scan(code("210077701000")).quantity == Decimal("1.000")


@pytest.mark.parametrize(
    ("replacement", "existing"),
    [
        (product("COFFEE", barcodes=["4820000000024"]), "BREAD"),
        (product("COFFEE", barcodes=["4820000000017", "04820000000031"]), "MILK"),
        (product("BANANA", unit=Unit.KILOGRAM, plu="00456"), "CHEESE"),
    ],
)
def test_replace_refuses_to_steal_another_products_code(replacement, existing):
    catalog = make_catalog()
    old = catalog.get(replacement.sku)
    with pytest.raises(DuplicateProductError) as info:
        catalog.replace(replacement)
    assert info.value.existing_sku == existing
    # Nothing changed.
    assert catalog.get(replacement.sku) is old
    for gtin in old.barcodes:
        assert catalog.by_barcode(gtin.code) is old
    for gtin in catalog.get(existing).barcodes:
        assert catalog.by_barcode(gtin.code).sku == existing
    if old.plu is not None:
        assert catalog.by_plu(old.plu) is old


def test_replace_refuses_unknown_sku_and_unknown_tax_category():
    catalog = make_catalog()
    with pytest.raises(ProductNotFoundError):
        catalog.replace(product("NOPE"))
    with pytest.raises(CatalogError, match="luxury"):
        catalog.replace(product("COFFEE", barcodes=["4820000000017"], tax_category="luxury"))
    assert catalog.get("COFFEE").tax_category == "standard"
    assert catalog.by_barcode("4820000000017").tax_category == "standard"


# ---- scanning ------------------------------------------------------------------


def test_scan_ordinary_code_has_no_quantity_or_price():
    match = make_catalog().scan("4820000000017")
    assert match.product.sku == "COFFEE"
    assert match.gtin == Gtin.parse("4820000000017")
    assert match.quantity is None
    assert match.price is None


def test_scan_accepts_the_other_forms_and_whitespace():
    catalog = make_catalog()
    assert catalog.scan(" 04820000000017\r\n").product.sku == "COFFEE"
    assert catalog.scan("9780306406157").product.sku == "BOOK"


def test_scan_weight_code_finds_product_by_item_code_with_quantity():
    match = make_catalog().scan("2100123013470")
    assert match == ScanMatch(
        make_catalog().get("BANANA"), Gtin.parse("2100123013470"), quantity=Decimal("1.347")
    )
    assert str(match.quantity) == "1.347"
    assert match.price is None


def test_scan_price_code_carries_the_price_in_the_product_currency():
    match = make_catalog().scan("2200456187333")
    assert match.product.sku == "CHEESE"
    assert match.price == uah("187.33")
    assert match.quantity is None
    eur = make_catalog("EUR").scan("2200456187333")
    assert eur.price == Money("187.33", "EUR")


@pytest.mark.parametrize("body", ["230000000000", "291234512345", "201234500000", "20123450000"])
def test_scan_in_store_code_without_layout_or_product_is_refused(body):
    with pytest.raises(InvalidBarcodeError, match="layout") as info:
        make_catalog().scan(code(body))
    assert not isinstance(info.value, ProductNotFoundError)


def test_scan_in_store_code_registered_as_a_plain_barcode_is_found():
    catalog = make_catalog()
    store_code = code("230000012345")
    catalog.add(product("DELI", barcodes=[store_code]))
    match = catalog.scan(store_code)
    assert match.product.sku == "DELI"
    assert (match.quantity, match.price) == (None, None)
    assert catalog.by_barcode(store_code).sku == "DELI"


def test_scan_weight_code_with_unknown_item_code_is_not_found():
    with pytest.raises(ProductNotFoundError) as info:
        make_catalog().scan(code("219999901347"))
    assert (info.value.key, info.value.by) == ("99999", "item code")
    assert isinstance(info.value, KeyError)


@pytest.mark.parametrize("scanned", ["4006381333931", "96385074", "10012345678902"])
def test_scan_unknown_ordinary_code_is_not_found(scanned):
    with pytest.raises(ProductNotFoundError):
        make_catalog().scan(scanned)


@pytest.mark.parametrize(
    "scanned", ["2100123013471", "21001230134", "", "ABC", None, 2100123013470, "٢١٠٠١٢٣٠١٣٤٧٠"]
)
def test_scan_malformed_code_is_refused(scanned):
    with pytest.raises(InvalidBarcodeError):
        make_catalog().scan(scanned)


def test_scan_upc_a_number_system_2_code_with_a_layout():
    catalog = Catalog(
        [TaxCategory("standard", [VAT20])],
        [product("HAM", unit=Unit.KILOGRAM, plu="01234")],
        layouts=BarcodeLayouts([VariableMeasureLayout.standard("02", MeasureKind.PRICE, 2)]),
    )
    upc = code("20123400599")
    match = catalog.scan(upc)
    assert match.gtin.kind is GtinKind.UPC_A
    assert match.product.sku == "HAM"
    assert match.price == uah("5.99")


@given(weight=quantities(Unit.KILOGRAM), plu=st.sampled_from(["00123", "00456"]))
def test_scan_weight_code_quantity_is_the_embedded_weight(weight, plu):
    grams = int(weight * 1000)
    match = make_catalog().scan(code(f"21{plu}{grams:05d}"))
    assert match.product.plu == plu
    assert match.quantity == weight
    assert match.quantity.as_tuple().exponent == -3


@given(price=prices("UAH", max_minor=99_999))
def test_scan_price_code_price_is_the_embedded_price(price):
    minor = int(price.amount * 100)
    match = make_catalog().scan(code(f"2200456{minor:05d}"))
    assert match.product.sku == "CHEESE"
    assert match.price == price


# ---- properties over random catalogs ---------------------------------------------


@st.composite
def gtins(draw: st.DrawFn) -> Gtin:
    """A valid GTIN of any length, often with the leading zeros that give it several forms."""
    length = draw(st.sampled_from([7, 11, 12, 13]))
    zeros = draw(st.integers(0, length - 1))
    body = "0" * zeros + draw(st.text(DIGITS, min_size=length - zeros, max_size=length - zeros))
    return Gtin.from_body(body)


@given(
    items=st.lists(
        st.tuples(gtins(), st.integers(0, 3), prices()),
        min_size=1,
        max_size=20,
        unique_by=lambda item: item[0].gtin14,
    ),
    strangers=st.lists(gtins(), max_size=10),
)
def test_every_gtin_finds_its_own_product_in_every_form(items, strangers):
    products = []
    for i, (gtin, form, price) in enumerate(items):
        # Register under any of its forms: look-ups must not care which.
        forms = all_forms(gtin.gtin14)
        products.append(product(f"P{i}", price=price, barcodes=[forms[form % len(forms)]]))
    catalog = Catalog([TaxCategory("standard", [VAT20])], products)
    assert len(catalog) == len(items)

    for p, (gtin, _, _) in zip(products, items, strict=True):
        for scanned in all_forms(gtin.gtin14):
            assert catalog.by_barcode(scanned) is p
            assert catalog.by_barcode(f" {scanned}\n") is p
            assert catalog.scan(scanned).product is p

    known = {gtin.gtin14 for gtin, _, _ in items}
    for stranger in strangers:
        if stranger.gtin14 in known:
            continue
        for scanned in all_forms(stranger.gtin14):
            with pytest.raises(ProductNotFoundError):
                catalog.by_barcode(scanned)


@given(
    size=st.integers(1, 8),
    data=st.data(),
)
def test_a_batch_with_any_duplicate_leaves_the_catalog_unchanged(size, data):
    catalog = make_catalog()
    batch = [
        product(f"NEW{i}", barcodes=code(f"50000000{i:04d}"), plu=f"9{i:04d}") for i in range(size)
    ]
    taken = data.draw(
        st.sampled_from(
            [
                {"sku": "COFFEE"},
                {"sku": "NEW0"},
                {"barcodes": "4820000000048"},
                {"barcodes": code("500000000000")},
                {"plu": "00123"},
                {"plu": "90000"},
            ]
        ),
        label="clash",
    )
    clash = product(taken.pop("sku", "CLASH"), **taken)
    batch.insert(data.draw(st.integers(1, size), label="position"), clash)

    with pytest.raises(DuplicateProductError):
        catalog.add_many(batch)
    assert len(catalog) == 8
    assert sorted(p.sku for p in catalog) == sorted(p.sku for p in make_catalog())
    for i in range(size):
        assert f"NEW{i}" not in catalog
        with pytest.raises(ProductNotFoundError):
            catalog.by_barcode(code(f"50000000{i:04d}"))
        with pytest.raises(ProductNotFoundError):
            catalog.by_plu(f"9{i:04d}")
    assert catalog.by_barcode("4820000000048").sku == "CIGS"
    assert catalog.by_plu("00123").sku == "BANANA"


def test_weight_code_for_a_product_sold_by_the_piece_is_refused():
    from possdk import Catalog, MeasureKind, Money, Product, TaxCategory, VariableMeasureLayout
    from possdk.core import BarcodeLayouts
    from possdk.errors import InvalidBarcodeError

    layout = VariableMeasureLayout.standard("21", MeasureKind.WEIGHT, 3)
    catalog = Catalog(
        [TaxCategory("std", [])],
        [Product("PIECE", "Piece", Money("1", "UAH"), "std", plu="00999")],
        layouts=BarcodeLayouts([layout]),
    )
    with pytest.raises(InvalidBarcodeError, match="sold by the piece"):
        catalog.scan(layout.encode("00999", "0.500").code)


def test_add_many_restores_the_garbage_collector_also_on_error():
    import gc

    from possdk import Catalog, Money, Product, TaxCategory
    from possdk.errors import DuplicateProductError

    catalog = Catalog([TaxCategory("std", [])])
    p = Product("A", "A", Money("1", "UAH"), "std")
    assert gc.isenabled()
    with pytest.raises(DuplicateProductError):
        catalog.add_many([p, p])
    assert gc.isenabled() and len(catalog) == 0
    gc.disable()
    try:
        catalog.add_many([p])
        assert not gc.isenabled()  # a host app that turned it off keeps it off
    finally:
        gc.enable()

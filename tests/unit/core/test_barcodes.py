"""GTIN check digits, parsing and GS1 variable-measure layouts as a till sees them."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from possdk.core import (
    BarcodeLayouts,
    Gtin,
    GtinKind,
    MeasureKind,
    VariableMeasure,
    VariableMeasureLayout,
    gtin_check_digit,
)
from possdk.errors import ConfigurationError, InvalidBarcodeError

DIGITS = "0123456789"
BODY_LENGTHS = {GtinKind.GTIN_8: 7, GtinKind.UPC_A: 11, GtinKind.EAN_13: 12, GtinKind.GTIN_14: 13}


def digit_strings(length: int) -> st.SearchStrategy[str]:
    return st.text(DIGITS, min_size=length, max_size=length)


def gtin_bodies() -> st.SearchStrategy[str]:
    """Bodies (code minus check digit) of every GTIN length."""
    return st.sampled_from(sorted(BODY_LENGTHS.values())).flatmap(digit_strings)


def valid_codes() -> st.SearchStrategy[str]:
    return gtin_bodies().map(lambda body: body + str(gtin_check_digit(body)))


# ---- check digit -------------------------------------------------------------

REAL_GTINS = [
    "4006381333931",  # EAN-13
    "5901234123457",  # EAN-13 (GS1 example)
    "9780306406157",  # ISBN-13
    "036000291452",  # UPC-A
    "96385074",  # GTIN-8
    "10012345678902",  # GTIN-14
    "4820000000017",  # EAN-13, Ukrainian prefix
]


@pytest.mark.parametrize("code", REAL_GTINS)
def test_check_digit_of_real_gtins(code):
    assert gtin_check_digit(code[:-1]) == int(code[-1])


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        # Worked by hand: weights 3, 1, 3, ... from the rightmost body digit.
        ("12345678901", 2),  # 3+0+27+8+21+6+15+4+9+2+3 = 98 -> 2
        ("0000001", 7),  # 1*3 = 3 -> 7
        ("9", 3),  # 27 -> 3
        ("5", 5),  # 15 -> 5
        ("2", 4),  # 6 -> 4
        ("10", 9),  # 0*3 + 1*1 = 1 -> 9
        ("000000000000", 0),  # 0 -> 0, not 10
        ("482000000001", 7),  # 1*3 + 2*1 + 8*3 + 4*1 = 33 -> 7
    ],
)
def test_check_digit_computed_by_hand(body, expected):
    assert gtin_check_digit(body) == expected


@pytest.mark.parametrize("body", ["", "12a4", "12 34", "١٢٣", "-123"])
def test_check_digit_refuses_non_digit_bodies(body):
    with pytest.raises(InvalidBarcodeError):
        gtin_check_digit(body)


@given(body=gtin_bodies())
def test_check_digit_ignores_leading_zeros(body):
    # The same item as UPC-A, EAN-13 or GTIN-14 must carry the same check digit.
    assert gtin_check_digit("00" + body) == gtin_check_digit(body)


# ---- parsing -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "kind", "gtin14"),
    [
        ("96385074", GtinKind.GTIN_8, "00000096385074"),
        ("036000291452", GtinKind.UPC_A, "00036000291452"),
        ("4006381333931", GtinKind.EAN_13, "04006381333931"),
        ("9780306406157", GtinKind.EAN_13, "09780306406157"),
        ("10012345678902", GtinKind.GTIN_14, "10012345678902"),
    ],
)
def test_parse_keeps_scanned_form_and_normalises_to_14_digits(code, kind, gtin14):
    gtin = Gtin.parse(code)
    assert gtin.kind is kind
    assert gtin.gtin14 == gtin14
    assert gtin.code == code
    assert str(gtin) == code


@pytest.mark.parametrize("padding", [" ", "\t", "\n", "  \r\n", "\u00a0"])
def test_parse_strips_surrounding_whitespace(padding):
    gtin = Gtin.parse(f"{padding}4006381333931{padding}")
    assert gtin.code == "4006381333931"
    assert gtin.kind is GtinKind.EAN_13
    assert gtin.gtin14 == "04006381333931"


def test_upc_a_and_ean_13_forms_are_the_same_item():
    upc = Gtin.parse("036000291452")
    ean = Gtin.parse("0036000291452")
    itf = Gtin.parse("00036000291452")
    assert upc.gtin14 == ean.gtin14 == itf.gtin14 == "00036000291452"
    assert (upc.kind, ean.kind, itf.kind) == (GtinKind.UPC_A, GtinKind.EAN_13, GtinKind.GTIN_14)
    assert (upc.code, ean.code) == ("036000291452", "0036000291452")


@pytest.mark.parametrize(
    "code",
    [
        "1234567",  # 7 digits
        "123456789",  # 9
        "1234567890",  # 10
        "12345678901",  # 11
        "123456789012345",  # 15
        "4",
        "4006381333931000",  # a valid EAN-13 with digits appended
    ],
)
def test_parse_refuses_wrong_lengths(code):
    with pytest.raises(InvalidBarcodeError, match="8, 12, 13 or 14 digits"):
        Gtin.parse(code)


@pytest.mark.parametrize(
    "code",
    [
        "400638133393A",
        "4006381-333931",
        "4006381 333931",
        "ABCDEFGHIJKLM",
        "0x400638133393",
        "+006381333931",
        "4006381333931\x00",
        "٤٠٠٦٣٨١٣٣٣٩٣١",  # Arabic-Indic digits, isdigit() is True
        "400638133393٤",
        "４００６３８１３３３９３１",  # fullwidth digits
        "400638133393¹",  # superscript one
    ],
)
def test_parse_refuses_anything_but_ascii_digits(code):
    with pytest.raises(InvalidBarcodeError, match="digits only"):
        Gtin.parse(code)


@pytest.mark.parametrize("code", ["", " ", "\t\n"])
def test_parse_refuses_empty_codes(code):
    with pytest.raises(InvalidBarcodeError, match="empty"):
        Gtin.parse(code)


@pytest.mark.parametrize("code", [None, 4006381333931, 96385074, 4.0, b"4006381333931", ["x"]])
def test_parse_refuses_non_strings_with_a_barcode_error(code):
    with pytest.raises(InvalidBarcodeError, match="expected a string"):
        Gtin.parse(code)


@pytest.mark.parametrize(
    ("code", "should_be"),
    [
        ("4006381333932", "1"),
        ("036000291450", "2"),
        ("96385070", "4"),
        ("10012345678909", "2"),
        ("9780306406150", "7"),
    ],
)
def test_parse_refuses_a_bad_check_digit_and_says_the_right_one(code, should_be):
    with pytest.raises(InvalidBarcodeError) as info:
        Gtin.parse(code)
    assert f"should be {should_be}" in str(info.value)
    assert info.value.code == code
    # A ValueError too, so generic input handling catches it.
    assert isinstance(info.value, ValueError)


@given(text=st.one_of(st.text(), st.text(DIGITS + " \t\n٤a", max_size=16)))
def test_parse_any_text_returns_a_valid_gtin_or_raises_invalid_barcode(text):
    try:
        gtin = Gtin.parse(text)
    except InvalidBarcodeError:
        return
    assert gtin.code == text.strip()
    assert gtin.kind.value == len(gtin.code)
    assert gtin_check_digit(gtin.code[:-1]) == int(gtin.code[-1])
    assert gtin.gtin14 == gtin.code.zfill(14)


@given(body=gtin_bodies())
def test_from_body_parses_back(body):
    gtin = Gtin.from_body(body)
    assert gtin.code[:-1] == body
    assert Gtin.parse(gtin.code) == gtin
    assert len(gtin.code) == len(body) + 1


@pytest.mark.parametrize("body", ["", "123", "12345678", "12345678901234", "12a4567"])
def test_from_body_refuses_bodies_of_no_gtin_length(body):
    with pytest.raises(InvalidBarcodeError):
        Gtin.from_body(body)


@given(code=valid_codes(), data=st.data())
def test_any_single_digit_error_is_detected(code, data):
    position = data.draw(st.integers(0, len(code) - 1), label="position")
    wrong = data.draw(st.sampled_from([d for d in DIGITS if d != code[position]]), label="digit")
    mistyped = code[:position] + wrong + code[position + 1 :]
    with pytest.raises(InvalidBarcodeError, match="check digit"):
        Gtin.parse(mistyped)


# ---- variable-measure layouts ------------------------------------------------


def test_standard_weight_layout_decodes_item_and_kilograms():
    layout = VariableMeasureLayout.standard("21", MeasureKind.WEIGHT, 3)
    gtin = Gtin.parse("2100123013470")
    decoded = layout.decode(gtin)
    assert decoded == VariableMeasure(gtin, "00123", MeasureKind.WEIGHT, Decimal("1.347"))
    assert str(decoded.value) == "1.347"


def test_standard_price_layout_decodes_item_and_price():
    layout = VariableMeasureLayout.standard("22", MeasureKind.PRICE, 2)
    decoded = layout.decode(Gtin.parse("2200456187333"))
    assert decoded.item_code == "00456"
    assert decoded.measure is MeasureKind.PRICE
    assert decoded.value == Decimal("187.33")
    assert str(decoded.value) == "187.33"


def test_standard_layout_keeps_leading_zeros_of_item_code_and_reads_zero_value():
    layout = VariableMeasureLayout.standard("21", MeasureKind.WEIGHT, 3)
    decoded = layout.decode(Gtin.from_body("210000100000"))
    assert decoded.item_code == "00001"
    assert decoded.value == 0


def test_custom_layout_with_4_digit_item_and_6_digit_value():
    # 2P IIII VVVVVV C: item code at 2-5, value at 6-11.
    layout = VariableMeasureLayout("25", MeasureKind.WEIGHT, 2, 4, 6, 6, 3)
    gtin = Gtin.from_body("25" + "0042" + "012345")
    decoded = layout.decode(gtin)
    assert decoded.item_code == "0042"
    assert decoded.value == Decimal("12.345")


def test_custom_layout_with_value_before_item_and_a_gap():
    # 2P VVVVVV x IIII C: value at 2-7, an unused digit at 8, item code at 9-11.
    layout = VariableMeasureLayout("29", MeasureKind.PRICE, 9, 3, 2, 6, 2)
    decoded = layout.decode(Gtin.from_body("29" + "001999" + "7" + "314"))
    assert decoded.item_code == "314"
    assert decoded.value == Decimal("19.99")


def test_upc_a_number_system_2_layout_decodes_the_12_digit_scan():
    # UPC-A "2 IIIII VVVVV C" is EAN-13 "02 IIIII VVVVV C".
    layout = VariableMeasureLayout.standard("02", MeasureKind.PRICE, 2)
    body = "2" + "01234" + "00599"
    upc = Gtin.from_body(body)
    assert upc.kind is GtinKind.UPC_A
    decoded = layout.decode(upc)
    assert decoded.item_code == "01234"
    assert decoded.value == Decimal("5.99")


@pytest.mark.parametrize("prefix", ["19", "2", "210", "ab", "", "30", "00", "01", "2a", " 2"])
def test_layout_refuses_prefixes_outside_in_store_range(prefix):
    with pytest.raises(ConfigurationError, match="prefix"):
        VariableMeasureLayout.standard(prefix, MeasureKind.WEIGHT, 3)


@pytest.mark.parametrize("prefix", ["2٣", "2²", "٢١"])
def test_layout_refuses_prefixes_with_non_ascii_digits(prefix):
    # These pass str.isdigit() but can never match a scanned (ASCII) code.
    with pytest.raises(ConfigurationError, match="prefix"):
        VariableMeasureLayout.standard(prefix, MeasureKind.WEIGHT, 3)


def test_layout_refuses_a_numeric_prefix_with_a_configuration_error():
    # A prefix read from a config file as a number must be reported, not crash.
    with pytest.raises(ConfigurationError, match="prefix"):
        VariableMeasureLayout.standard(21, MeasureKind.WEIGHT, 3)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("item_start", "item_length", "value_start", "value_length", "message"),
    [
        (2, 5, 6, 5, "overlap"),  # item 2-6, value 6-10
        (2, 6, 2, 4, "overlap"),
        (7, 5, 2, 6, "overlap"),
        (1, 5, 7, 5, "between the prefix"),  # item into the prefix
        (2, 5, 0, 5, "between the prefix"),  # value into the prefix
        (2, 5, 7, 6, "between the prefix"),  # value into the check digit
        (8, 5, 2, 5, "between the prefix"),  # item into the check digit
        (2, 5, 12, 1, "between the prefix"),  # value is the check digit
        (2, 0, 7, 5, "at least one digit"),
        (2, 5, 7, 0, "at least one digit"),
        (2, -1, 7, 5, "at least one digit"),
    ],
)
def test_layout_refuses_bad_positions(item_start, item_length, value_start, value_length, message):
    with pytest.raises(ConfigurationError, match=message):
        VariableMeasureLayout(
            "21", MeasureKind.WEIGHT, item_start, item_length, value_start, value_length, 3
        )


@pytest.mark.parametrize("decimals", [-1, 7, 10])
def test_layout_refuses_decimals_out_of_range(decimals):
    with pytest.raises(ConfigurationError, match="decimals"):
        VariableMeasureLayout.standard("21", MeasureKind.WEIGHT, decimals)


@pytest.mark.parametrize("decimals", [0, 6])
def test_layout_accepts_decimals_at_the_bounds(decimals):
    layout = VariableMeasureLayout.standard("21", MeasureKind.WEIGHT, decimals)
    assert layout.decode(Gtin.from_body("210012312345")).value == Decimal(12345).scaleb(-decimals)


def test_layout_accepts_the_widest_non_overlapping_positions():
    layout = VariableMeasureLayout("20", MeasureKind.PRICE, 2, 1, 3, 9, 2)
    decoded = layout.decode(Gtin.from_body("20" + "7" + "123456789"))
    assert decoded.item_code == "7"
    assert decoded.value == Decimal("1234567.89")


@st.composite
def layouts_and_fields(draw: st.DrawFn) -> tuple[VariableMeasureLayout, str, str]:
    """A random valid layout, plus item-code and value digits to put into it."""
    prefix = draw(st.sampled_from(["02", *(f"2{d}" for d in DIGITS)]))
    # Split the ten free positions (2-11) into two non-overlapping runs.
    item_length = draw(st.integers(1, 9))
    value_length = draw(st.integers(1, 10 - item_length))
    gap = 10 - item_length - value_length
    before = draw(st.integers(0, gap))
    between = draw(st.integers(0, gap - before))
    item_first = draw(st.booleans())
    first_length = item_length if item_first else value_length
    first_start = 2 + before
    second_start = first_start + first_length + between
    item_start, value_start = (
        (first_start, second_start) if item_first else (second_start, first_start)
    )
    layout = VariableMeasureLayout(
        prefix,
        draw(st.sampled_from(MeasureKind)),
        item_start,
        item_length,
        value_start,
        value_length,
        draw(st.integers(0, 6)),
    )
    return layout, draw(digit_strings(item_length)), draw(digit_strings(value_length))


@given(case=layouts_and_fields(), filler=digit_strings(10))
def test_encoding_then_decoding_gives_back_item_code_and_value(case, filler):
    layout, item, value = case
    digits = list(layout.prefix + filler)
    digits[layout.item_start : layout.item_start + layout.item_length] = item
    digits[layout.value_start : layout.value_start + layout.value_length] = value
    gtin = Gtin.from_body("".join(digits))
    assert BarcodeLayouts([layout]).layout_for(gtin) is layout

    decoded = layout.decode(gtin)
    assert decoded.item_code == item
    assert decoded.value == Decimal(int(value)).scaleb(-layout.decimals)
    assert decoded.measure is layout.measure
    assert decoded.gtin == gtin


@given(item=digit_strings(5), grams=st.integers(0, 99_999))
def test_standard_weight_layout_round_trips_grams(item, grams):
    layout = VariableMeasureLayout.standard("21", MeasureKind.WEIGHT, 3)
    gtin = Gtin.from_body(f"21{item}{grams:05d}")
    decoded = layout.decode(gtin)
    assert decoded.item_code == item
    assert decoded.value * 1000 == grams


# ---- the merchant's set of layouts -------------------------------------------

WEIGHT_21 = VariableMeasureLayout.standard("21", MeasureKind.WEIGHT, 3)
PRICE_22 = VariableMeasureLayout.standard("22", MeasureKind.PRICE, 2)
UPC_02 = VariableMeasureLayout.standard("02", MeasureKind.PRICE, 2)


def test_two_layouts_for_one_prefix_are_refused():
    with pytest.raises(ConfigurationError, match="21"):
        BarcodeLayouts([WEIGHT_21, VariableMeasureLayout.standard("21", MeasureKind.PRICE, 2)])


def test_layouts_may_be_given_as_a_mapping():
    layouts = BarcodeLayouts({"any key": WEIGHT_21, "other": PRICE_22})
    assert set(layouts.by_prefix) == {"21", "22"}
    assert layouts.layout_for(Gtin.parse("2100123013470")) is WEIGHT_21


def test_no_layouts_by_default():
    assert BarcodeLayouts().layout_for(Gtin.parse("2100123013470")) is None


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("2100123013470", WEIGHT_21),
        ("2200456187333", PRICE_22),
        (Gtin.from_body("230000000000").code, None),  # in-store, but no layout for 23
        (Gtin.from_body("201234512345").code, None),
        (Gtin.from_body("20123451234").code, UPC_02),  # UPC-A number system 2
        (Gtin.from_body("020123451234").code, UPC_02),  # the same as EAN-13
        ("4006381333931", None),
        ("036000291452", None),  # UPC-A number system 0
        ("0036000291452", None),
        (Gtin.from_body("2100123").code, None),  # GTIN-8 starting with 21
        (Gtin.from_body("0210012301347").code, None),  # GTIN-14 form of a weight code
        ("10012345678902", None),
    ],
)
def test_layout_for(code, expected):
    layouts = BarcodeLayouts([WEIGHT_21, PRICE_22, UPC_02])
    assert layouts.layout_for(Gtin.parse(code)) is expected


@pytest.mark.parametrize(
    ("code", "in_store"),
    [
        ("2100123013470", True),
        (Gtin.from_body("200000000000").code, True),
        (Gtin.from_body("299999999999").code, True),
        (Gtin.from_body("20123451234").code, True),  # UPC-A number system 2
        (Gtin.from_body("021234512345").code, True),  # EAN-13 prefix 02
        ("4006381333931", False),
        ("9780306406157", False),
        (Gtin.from_body("301234512345").code, False),
        (Gtin.from_body("191234512345").code, False),
        ("036000291452", False),  # UPC-A number system 0
        (Gtin.from_body("51234512345").code, False),  # UPC-A number system 5 (coupons)
        ("0036000291452", False),
        (Gtin.from_body("001234512345").code, False),
        ("96385074", False),
        (Gtin.from_body("2100123").code, False),  # GTIN-8
        ("10012345678902", False),
        (Gtin.from_body("0210012301347").code, False),  # GTIN-14
    ],
)
def test_is_in_store(code, in_store):
    assert BarcodeLayouts.is_in_store(Gtin.parse(code)) is in_store


@given(body=gtin_bodies())
def test_is_in_store_only_for_12_and_13_digit_codes_with_prefix_02_or_2x(body):
    gtin = Gtin.from_body(body)
    ean13 = gtin.gtin14[1:]
    expected = gtin.kind in (GtinKind.UPC_A, GtinKind.EAN_13) and (
        ean13[0] == "2" or ean13[:2] == "02"
    )
    assert BarcodeLayouts.is_in_store(gtin) is expected

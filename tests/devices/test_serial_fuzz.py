"""Fuzzing the scanner framing and the scale parser: never a crash, never a wrong barcode."""

from __future__ import annotations

import itertools
import logging
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from possdk.core import Gtin
from possdk.drivers import ScaleState, WeightReading
from possdk.drivers._scale import parse_toledo_reply, parse_toledo_status
from possdk.drivers._scanner import ScanValidator
from possdk.drivers._serial_io import TERMINATORS, FrameReader
from possdk.errors import DeviceError

STX = b"\x02"
FUZZ = settings(max_examples=150, deadline=None)


@pytest.fixture(autouse=True)
def _quiet(caplog: pytest.LogCaptureFixture) -> None:
    # Every dropped frame logs a warning; keep hypothesis' many examples out of the report.
    caplog.set_level(logging.CRITICAL)


gtins = st.builds(
    lambda body: Gtin.from_body(body).code,
    st.sampled_from([7, 11, 12, 13]).flatmap(
        lambda n: st.text("0123456789", min_size=n, max_size=n)
    ),
)


def garbage(forbidden: bytes) -> st.SearchStrategy[bytes]:
    """Bytes that are never a valid code (they hold a byte that is neither digit nor space)."""
    alphabet = [b for b in range(256) if b not in forbidden]
    junk = [b for b in alphabet if not (0x30 <= b <= 0x39 or b == 0x20)]
    return st.tuples(
        st.lists(st.sampled_from(alphabet), max_size=20),
        st.sampled_from(junk),
        st.lists(st.sampled_from(alphabet), max_size=20),
    ).map(lambda t: bytes(t[0]) + bytes([t[1]]) + bytes(t[2]))


def overlong(forbidden: bytes) -> st.SearchStrategy[bytes]:
    """Garbage longer than any frame may be (max_length 64)."""
    return garbage(forbidden).map(lambda g: (g * 70)[:200])


def chunked(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    bounds = [0, *points, len(data)]
    return [data[a:b] for a, b in itertools.pairwise(bounds)]


def run(reader: FrameReader, chunks: list[bytes], validator: ScanValidator) -> list[str]:
    delivered = []
    for chunk in chunks:
        for frame in reader.feed(chunk):
            code = validator.check_bytes(frame)
            if code is not None:
                delivered.append(code)
    return delivered


@FUZZ
@given(
    data=st.binary(max_size=300),
    cuts=st.lists(st.integers(0, 400), max_size=10),
    terminator=st.sampled_from(sorted(TERMINATORS)),
    prefix=st.sampled_from([b"", STX]),
    max_length=st.integers(1, 40),
)
def test_random_bytes_never_crash_and_deliver_only_valid_codes_present_in_the_input(
    data: bytes, cuts: list[int], terminator: str, prefix: bytes, max_length: int
) -> None:
    reader = FrameReader(TERMINATORS[terminator], prefix=prefix, max_length=max_length)
    validator = ScanValidator(frozenset({"gtin", "code128"}))
    for code in run(reader, chunked(data, cuts), validator):
        assert code.encode() in data
        assert len(code) <= max_length
        if code.isdigit() and len(code) in (8, 12, 13, 14):
            Gtin.parse(code)  # a GTIN-shaped code always has a good check digit


@FUZZ
@given(
    items=st.lists(st.one_of(gtins, garbage(b"\r\n\x02"), overlong(b"\r\n\x02")), max_size=12),
    cuts=st.lists(st.integers(0, 400), max_size=10),
    terminator=st.sampled_from(["CR", "LF", "CRLF", "ANY"]),
    prefix=st.sampled_from([b"", STX]),
)
def test_good_codes_survive_noise_and_split_reads(
    items: list[str | bytes], cuts: list[int], terminator: str, prefix: bytes
) -> None:
    end = TERMINATORS[terminator] or b"\r"
    stream = b"".join(prefix + (i.encode() if isinstance(i, str) else i) + end for i in items)
    reader = FrameReader(TERMINATORS[terminator], prefix=prefix, max_length=64)
    delivered = run(reader, chunked(stream, cuts), ScanValidator())
    assert delivered == [i for i in items if isinstance(i, str)]


def test_a_crlf_split_right_after_overlong_input_does_not_swallow_the_next_scan() -> None:
    """Found by the property above: the CR ending overlong input came at the end of one
    read and its LF at the start of the next, and the next good scan was skipped too."""
    stream = b"\x00" * 200 + b"\r\n" + b"00000000\r\n"
    reader = FrameReader(TERMINATORS["CRLF"], max_length=64)
    assert run(reader, chunked(stream, [201]), ScanValidator()) == ["00000000"]


@FUZZ
@given(
    items=st.lists(
        st.tuples(
            gtins, st.sampled_from(["intact", "cut", "wrong-terminator"]), st.integers(0, 13)
        ),
        max_size=10,
    ),
    cuts=st.lists(st.integers(0, 400), max_size=10),
)
def test_partial_frames_and_wrong_terminators_never_make_a_wrong_code(
    items: list[tuple[str, str, int]], cuts: list[int]
) -> None:
    stream = b""
    intact: list[str] = []
    for code, how, at in items:
        if how == "intact":
            stream += STX + code.encode() + b"\r"
            intact.append(code)
        elif how == "cut":
            stream += STX + code.encode()[:at]  # the rest never came
        else:
            stream += STX + code.encode() + b"\n"  # LF where the scanner was set up for CR
    reader = FrameReader(b"\r", prefix=STX, max_length=64)
    delivered = run(reader, chunked(stream, cuts), ScanValidator())
    # With a prefix, a partial frame is cut off at the next prefix: every intact code
    # arrives, and nothing else (a cut or wrongly ended frame never joins a good one).
    assert delivered == intact


@FUZZ
@given(
    items=st.lists(st.tuples(gtins, st.booleans(), st.integers(1, 12)), max_size=10),
)
def test_without_a_prefix_a_joined_frame_is_only_delivered_if_it_was_sent_whole(
    items: list[tuple[str, bool, int]],
) -> None:
    # Without a prefix only a pause separates a partial frame from the next scan; with no
    # pause, what is delivered is at least a terminated, valid frame of the stream.
    stream = b"".join(
        c.encode()[: None if whole else cut] + (b"\r" if whole else b"") for c, whole, cut in items
    )
    delivered = run(FrameReader(b"\r"), [stream], ScanValidator())
    frames = stream.split(b"\r")
    for code in delivered:
        assert code.encode() in frames
        Gtin.parse(code)


# ---- the scale -------------------------------------------------------------------

weights = st.decimals(min_value=0, max_value=99, places=3)


@FUZZ
@given(data=st.binary(max_size=20), unit=st.sampled_from(["kg", "lb"]))
def test_scale_parser_is_total(data: bytes, unit: str) -> None:
    try:
        reading = parse_toledo_reply(data, unit=unit)
    except DeviceError:
        return
    assert isinstance(reading, WeightReading)
    assert isinstance(reading.kilograms, Decimal)
    if reading.stable:
        assert reading.kilograms >= 0
    else:
        assert reading.kilograms == 0


@FUZZ
@given(weight=weights)
def test_scale_weight_round_trips(weight: Decimal) -> None:
    text = f"{weight:06.3f}".encode()
    assert parse_toledo_reply(STX + text + b"\r") == WeightReading(weight, ScaleState.STABLE)


@given(byte=st.integers(0, 255))
def test_every_status_byte_is_read_or_refused(byte: int) -> None:
    try:
        status = parse_toledo_status(byte)
    except DeviceError:
        assert byte & 0x60 != 0x60
        return
    expected = (
        ScaleState.OVERLOAD
        if byte & 2
        else ScaleState.UNDER_ZERO
        if byte & 4
        else ScaleState.UNSTABLE
        if byte & 1
        else ScaleState.STABLE
    )
    assert status.state is expected


@FUZZ
@given(
    noise=st.binary(max_size=30).filter(lambda b: b"\r" not in b),
    weight=weights,
    cuts=st.lists(st.integers(0, 60), max_size=6),
)
def test_scale_reply_is_found_after_noise_in_split_reads(
    noise: bytes, weight: Decimal, cuts: list[int]
) -> None:
    reply = STX + f"{weight:06.3f}".encode() + b"\r"
    reader = FrameReader(b"\r", prefix=STX, max_length=16)
    frames = [f for chunk in chunked(noise + reply, cuts) for f in reader.feed(chunk)]
    assert [parse_toledo_reply(f) for f in frames] == [WeightReading(weight, ScaleState.STABLE)]

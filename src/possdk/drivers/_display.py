"""Customer pole displays: 2x20 characters over serial, the CD5220 command set.

Commands used (from the CD5220 user's manual's "standard mode" command
list, which most 2x20 VFD pole displays also accept): ``ESC @`` initialise,
``CLR`` (0x0C) clear, ``HOM`` (0x0B) cursor home, ``ESC Q A`` text ``CR``
writes the upper line and ``ESC Q B`` text ``CR`` the lower one, ``ESC t n``
selects a character table on displays that have one.

Most displays show ASCII only, so Cyrillic is transliterated to Latin by
default (the Ukrainian national system, with Russian letters added):
"Дякуємо" is shown as "Diakuiemo". A display with a Cyrillic code page takes
``encoding=cp866`` (any Python codec) and, if it needs telling,
``codepage=17`` (the ``n`` of its ``ESC t n``).
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Callable
from decimal import Decimal

from possdk.core import Money, RoundingMode
from possdk.drivers._base import DeviceSpec, DeviceStatus
from possdk.drivers._serial_io import SerialLink, SerialSettings
from possdk.errors import DeviceConfigError, DeviceError

__all__ = [
    "CD5220",
    "DisplayLayout",
    "PoleDisplay",
    "displayable",
    "fit_line",
    "transliterate",
]

log = logging.getLogger(__name__)


class CD5220:
    """The CD5220 command bytes this driver sends."""

    INIT = b"\x1b@"
    """ESC @: initialise the display."""
    CLEAR = b"\x0c"
    """CLR: clear the screen (and leave string mode)."""
    HOME = b"\x0b"
    """HOM: cursor to the upper left."""
    UPPER = b"\x1bQA"
    """ESC Q A: write the upper line, up to CR."""
    LOWER = b"\x1bQB"
    """ESC Q B: write the lower line, up to CR."""
    END = b"\r"
    """CR: ends a line written with ESC Q A / ESC Q B."""

    @staticmethod
    def codepage(n: int) -> bytes:
        """ESC t n: select character table ``n``."""
        return b"\x1bt" + bytes([n])


# ---- transliteration -------------------------------------------------------------

# Ukrainian national transliteration (2010), plus the Russian letters it lacks.
_LATIN = {
    "а": "a", "б": "b", "в": "v", "г": "h", "ґ": "g", "д": "d", "е": "e", "ж": "zh",
    "з": "z", "и": "y", "і": "i", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o",
    "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts",
    "ч": "ch", "ш": "sh", "щ": "shch", "ь": "", "ъ": "", "'": "'", "’": "",
    "ы": "y", "э": "e", "ё": "io",
    # These spell differently at the start of a word (see _INITIAL).
    "є": "ie", "ї": "i", "й": "i", "ю": "iu", "я": "ia",
}  # fmt: skip
_INITIAL = {"є": "ye", "ї": "yi", "й": "y", "ю": "yu", "я": "ya"}
_PUNCT = {
    "«": '"', "»": '"', "„": '"', "“": '"', "”": '"', "‘": "'", "—": "-", "–": "-",
    "…": "...", "№": "No", "₴": "UAH", "€": "EUR", "\u00a0": " ", "\u202f": " ",
}  # fmt: skip


def transliterate(text: str) -> str:
    """Text as plain ASCII: Cyrillic in Latin letters, accents dropped, the rest ``?``.

    ``transliterate("Дякуємо!")`` is ``"Diakuiemo!"``; "зг" is "zgh" (so it is
    not read as "ж"), as the Ukrainian system has it.
    """
    out: list[str] = []
    for i, ch in enumerate(text):
        low = ch.lower()
        prev = text[i - 1] if i else ""
        if low in _LATIN:
            at_start = not prev or (not prev.isalpha() and prev not in "'’")
            latin = _INITIAL[low] if at_start and low in _INITIAL else _LATIN[low]
            if low == "г" and prev.lower() == "з":
                latin = "gh"
            if ch != low and latin:
                nxt = text[i + 1] if i + 1 < len(text) else ""
                shout = (nxt.isalpha() and nxt.isupper()) or (prev.isalpha() and prev.isupper())
                latin = latin.upper() if shout else latin.capitalize()
            out.append(latin)
        elif ch in _PUNCT:
            out.append(_PUNCT[ch])
        elif ch.isascii():
            out.append(ch if ch.isprintable() else " ")
        else:
            plain = unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode("ascii")
            out.append(plain if plain.isprintable() and plain else "?")
    return "".join(out)


def fit_line(text: str, width: int, encoding: str = "ascii") -> str:
    """``text`` as a display line: only what ``encoding`` can show, cut and padded to ``width``."""
    return displayable(text, encoding)[:width].ljust(width)


def displayable(text: str, encoding: str = "ascii") -> str:
    """``text`` with only what ``encoding`` can show, one character per display cell.

    With ``ascii`` the whole text is transliterated; with another codec only
    the characters it lacks are. Control characters become spaces.
    """
    if encoding == "ascii":
        text = transliterate(text)
    out: list[str] = []
    for ch in text:
        if not ch.isprintable():
            ch = " "
        try:
            encoded = ch.encode(encoding)
        except UnicodeEncodeError:
            ch = transliterate(ch)
        else:
            if len(encoded) != 1:  # one byte per cell, or the line would overflow
                ch = transliterate(ch)
        out.append(ch)
    return "".join(out)


# ---- layout ----------------------------------------------------------------------


def _amount(money: Money) -> str:
    rounded = money.round(mode=RoundingMode.HALF_UP)  # to the currency's minor unit
    return f"{format(rounded.amount, 'f')} {rounded.currency}"


def _two_sides(left: str, right: str, width: int) -> str:
    """``left`` and ``right`` on one line; ``left`` is cut if they do not both fit."""
    room = width - len(right) - 1
    if room <= 0:
        return right[-width:]
    return f"{left[:room]:<{room}} {right}"


class DisplayLayout:
    """What the helpers show, line by line: shared by :class:`PoleDisplay` and the simulator.

    A subclass provides ``width`` and ``show``; the labels are keyword
    arguments so an app can pass its own language (they are transliterated
    like everything else).
    """

    width: int
    encoding: str = "ascii"
    show: Callable[..., None]
    """Show these lines (the device's own method)."""

    def _text(self, text: str) -> str:
        # Transliterate before laying out: "Дякуємо" takes 7 cells, "Diakuiemo" 9.
        return displayable(text, self.encoding)

    def show_item(self, name: str, price: Money, *, quantity: Decimal | int | None = None) -> None:
        """The item just added on line 1, its price (or quantity x price) on line 2."""
        right = _amount(price)
        if quantity is not None and quantity != 1:
            right = f"{quantity} x {right}"
        self.show(self._text(name), right.rjust(self.width))

    def show_total(self, total: Money, *, label: str = "Total") -> None:
        """The sale's total: ``Total`` and the amount."""
        self.show(self._text(label), _two_sides("", _amount(total), self.width))

    def show_change(
        self, change: Money, *, thanks: str = "Thank you!", label: str = "Change"
    ) -> None:
        """The thank-you on line 1 and the change on line 2 (``thanks="Дякуємо!"``)."""
        self.show(
            self._text(thanks).center(self.width).rstrip(),
            _two_sides(self._text(label), _amount(change), self.width),
        )


class PoleDisplay(DisplayLayout):
    """A 2x20 customer display speaking the CD5220 command set.

    ``cd5220+serial:///dev/ttyUSB1?baudrate=9600``. Options: ``width`` (20),
    ``encoding`` (``ascii``, transliterating; or a codec such as ``cp866``),
    ``codepage`` (the ``n`` sent as ``ESC t n`` when the port opens).
    """

    rows = 2

    def __init__(self, spec: DeviceSpec) -> None:
        self.spec = spec
        raw_width = spec.options.get("width", "20")
        if not raw_width.isdigit() or not 8 <= int(raw_width) <= 80:
            raise DeviceConfigError(spec.name, f"option width={raw_width!r}: use 8 to 80")
        self.width = int(raw_width)
        self.encoding = spec.options.get("encoding", "ascii").lower()
        try:
            single_byte = "A ".encode(self.encoding) == b"A "
        except LookupError:
            single_byte = False
        if not single_byte:
            raise DeviceConfigError(
                spec.name,
                f"option encoding={self.encoding!r} is not a single-byte codec (try cp866)",
            )
        raw_page = spec.options.get("codepage")
        if raw_page is not None and (not raw_page.isdigit() or int(raw_page) > 255):
            raise DeviceConfigError(spec.name, f"option codepage={raw_page!r}: use 0 to 255")
        self.codepage = None if raw_page is None else int(raw_page)
        self.link = SerialLink(spec.name, SerialSettings.from_spec(spec))

    def open(self) -> None:
        """Open the port and initialise the display (idempotent)."""
        if self.link.is_open:
            return
        self.link.open()
        setup = CD5220.INIT + (CD5220.codepage(self.codepage) if self.codepage is not None else b"")
        self.link.write(setup + CD5220.CLEAR)

    def close(self) -> None:
        """Close the port (idempotent); what is shown stays shown."""
        self.link.close()

    def status(self) -> DeviceStatus:
        """Online while the port is open (a pole display does not answer)."""
        return DeviceStatus(online=self.link.is_open)

    def encode_line(self, text: str) -> bytes:
        """One line as the display's bytes: cut or padded to the width, no control bytes."""
        return fit_line(text, self.width, self.encoding).encode(self.encoding)

    def frame(self, *lines: str) -> bytes:
        """The bytes that show ``lines`` (at most two): clear, then each line in string mode."""
        if len(lines) > self.rows:
            raise DeviceError(
                self.spec.name, f"a {self.rows}-line display shows at most {self.rows} lines"
            )
        padded = [*lines, *([""] * (self.rows - len(lines)))]
        out = CD5220.CLEAR + CD5220.HOME
        for command, line in zip((CD5220.UPPER, CD5220.LOWER), padded, strict=True):
            out += command + self.encode_line(line) + CD5220.END
        return out

    def show(self, *lines: str) -> None:
        """Show up to two lines (cut to the width, transliterated unless a codec is set).

        Raises:
            DeviceError: more lines than the display has.
            DeviceTimeoutError: the display did not take the bytes in time.
            DeviceOfflineError: the port is gone.
        """
        data = self.frame(*lines)
        self.open()
        self.link.write(data)

    def clear(self) -> None:
        """Blank the display."""
        self.open()
        self.link.write(CD5220.CLEAR)

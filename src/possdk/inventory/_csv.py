"""Stock items, stock levels and suppliers from and to CSV; a file with a bad row imports nothing.

The formats (UTF-8, comma separated, a header row naming the columns in any
order; a header cell's case and surrounding spaces do not matter):

``items``: ``sku,tracked,negative_stock,average_cost``
    ``tracked`` is yes/no (true/false, 1/0), ``negative_stock`` is
    allow/warn/block, ``average_cost`` a decimal cost per unit. Only ``sku``
    is required; a column left out or a cell left empty keeps that rule as it
    is (as :meth:`Inventory.set_item` does with ``None``).
``stock levels``: ``sku,location,on_hand,reorder_point,order_up_to``
    ``on_hand`` is set by a ``count`` movement with reason ``import`` of the
    difference (the ledger stays the truth). ``reorder_point`` and
    ``order_up_to`` (optional columns) set a fixed reorder rule when both are
    given; both empty leaves the item's rule as it is.
``suppliers``: ``supplier_id,supplier_name,contact,sku,supplier_code,unit_cost,``
    ``pack_size,min_order,preferred`` (one header line).
    One row per supplier item; a supplier without items is a row with an
    empty ``sku``. ``supplier_id``, ``supplier_name`` and ``sku`` are
    required columns; the rest default to the :class:`SupplierItem` defaults.

An import checks the whole file first and raises :class:`CsvImportError`
with every problem as ``(line, column, message)``, line 1 being the header
(a spreadsheet's row numbers); only a clean file is applied, in one
transaction with one journal entry. Rows equal to what is kept write nothing.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any, TypeAlias

import attrs

from possdk.core._decimal import EXACT
from possdk.core._money import to_decimal
from possdk.errors import CatalogError, CsvImportError, InventoryError, MoneyError
from possdk.inventory._model import (
    Location,
    Movement,
    MovementKind,
    NegativeStock,
    ReorderMethod,
    ReorderRule,
    StockItem,
    StockLevel,
    Supplier,
    SupplierItem,
)

if TYPE_CHECKING:
    from possdk.core import Catalog
    from possdk.inventory._service import Inventory
    from possdk.storage._backend import UnitOfWork

__all__ = [
    "ITEM_COLUMNS",
    "LEVEL_COLUMNS",
    "SUPPLIER_COLUMNS",
    "CsvPath",
    "CsvSource",
    "export_items",
    "export_levels",
    "export_suppliers",
    "import_items",
    "import_levels",
    "import_suppliers",
]

CsvPath: TypeAlias = "str | os.PathLike[str]"
"""Where an export writes its file."""

CsvSource: TypeAlias = "str | os.PathLike[str] | IO[str] | IO[bytes]"
"""What an import reads: a path, an open file (text or binary), or the CSV text itself.

A ``str`` that is empty or contains a comma or a line break is CSV text; any
other ``str`` is a path (pass a :class:`pathlib.Path` to be sure).
"""

ITEM_COLUMNS = ("sku", "tracked", "negative_stock", "average_cost")
"""The columns of an items file, in the order an export writes them."""
LEVEL_COLUMNS = ("sku", "location", "on_hand", "reorder_point", "order_up_to")
"""The columns of a stock levels file, in the order an export writes them."""
SUPPLIER_COLUMNS = (
    "supplier_id",
    "supplier_name",
    "contact",
    "sku",
    "supplier_code",
    "unit_cost",
    "pack_size",
    "min_order",
    "preferred",
)
"""The columns of a suppliers file, in the order an export writes them."""

ZERO = Decimal(0)
IMPORT_REASON = "import"
"""The reason of the count movements a stock levels import writes."""

_YES = frozenset({"yes", "true", "1"})
_NO = frozenset({"no", "false", "0"})
_COST_PLACES = 6  # costs are kept to six decimal places (see possdk.inventory._model)


@attrs.frozen
class _Format:
    what: str
    columns: tuple[str, ...]
    required: tuple[str, ...]


_ITEMS = _Format("stock items CSV", ITEM_COLUMNS, ("sku",))
_LEVELS = _Format("stock levels CSV", LEVEL_COLUMNS, ("sku", "location", "on_hand"))
_SUPPLIERS = _Format("suppliers CSV", SUPPLIER_COLUMNS, ("supplier_id", "supplier_name", "sku"))

_Row = tuple[int, dict[str, str]]
"""A data row: its line number (the header is line 1) and its cells by column name."""


# ---- collecting problems ---------------------------------------------------------


class _Problems:
    """Every problem found in a file, raised together."""

    def __init__(self, what: str, found: Sequence[tuple[int, str, str]] = ()) -> None:
        self.what = what
        self.found = list(found)

    def add(self, line: int, column: str, message: str) -> None:
        self.found.append((line, column, message))

    def row(self, line: int) -> _RowProblems:
        return _RowProblems(self, line)

    def raise_if_any(self) -> None:
        if self.found:
            # sorted() is stable: a line's problems stay in column order.
            raise CsvImportError(self.what, sorted(self.found, key=lambda p: p[0]))


class _RowProblems:
    """One row's problems: ``with row.cell("on_hand"): ...`` records what the block raised."""

    def __init__(self, problems: _Problems, line: int) -> None:
        self.problems, self.line, self.count = problems, line, 0

    @property
    def ok(self) -> bool:
        return self.count == 0

    def add(self, column: str, message: str) -> None:
        self.problems.add(self.line, column, message)
        self.count += 1

    def cell(self, column: str) -> _Cell:
        return _Cell(self, column)


class _Cell:
    def __init__(self, row: _RowProblems, column: str) -> None:
        self.row, self.column = row, column

    def __enter__(self) -> None:
        return None

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        if isinstance(exc, (InventoryError, CatalogError, MoneyError)):
            self.row.add(self.column, str(exc))
            return True
        return False


# ---- reading and writing files ---------------------------------------------------


def _decode(data: bytes, what: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise CsvImportError(
            what,
            [
                (
                    line,
                    "",
                    f"byte {exc.start + 1} is not UTF-8: save the file as 'CSV UTF-8' "
                    f"(comma separated)",
                )
            ],
        ) from None


def _text(source: CsvSource, what: str) -> str:
    if isinstance(source, str) and (not source or any(c in source for c in ",\n\r")):
        text = source
    elif isinstance(source, (str, os.PathLike)):
        text = _decode(Path(source).read_bytes(), what)
    else:
        data = source.read()
        text = _decode(data, what) if isinstance(data, bytes) else data
    return text[1:] if text.startswith("\ufeff") else text  # spreadsheets' byte order mark


def _read(source: CsvSource, fmt: _Format) -> tuple[list[_Row], list[tuple[int, str, str]]]:
    """The data rows (blank ones left out) and the problems of reading them.

    Raises:
        CsvImportError: the file is empty or its header is wrong (reported alone:
            the rows cannot be read without it).
    """
    problems = _Problems(fmt.what)
    records: list[list[str]] = []
    reader = csv.reader(io.StringIO(_text(source, fmt.what), newline=""), strict=True)
    try:
        for cells in reader:
            records.append(cells)
    except csv.Error as exc:
        problems.add(len(records) + 1, "", f"not readable as CSV: {exc}")
    header = [c.strip().lower() for c in records[0]] if records else []
    if not any(header):
        problems.add(
            1,
            "",
            f"the file is empty: line 1 must be the header, "
            f"{','.join(fmt.columns)} (the columns {', '.join(fmt.required)} are required)",
        )
        problems.raise_if_any()
    _check_header(header, fmt, problems)
    problems.raise_if_any()
    rows: list[_Row] = []
    for line, cells in enumerate(records[1:], 2):
        if not any(c.strip() for c in cells):
            continue  # a blank line between rows
        values = dict.fromkeys(fmt.columns, "")
        for n, cell in enumerate(cells):
            name = header[n] if n < len(header) else ""
            if name:
                values[name] = cell.strip()
            elif cell.strip():
                problems.add(
                    line,
                    f"column {n + 1}",
                    f"{cell.strip()!r} is in a column without a name in the header: "
                    f"name the column or move the value",
                )
        rows.append((line, values))
    return rows, problems.found


def _check_header(header: list[str], fmt: _Format, problems: _Problems) -> None:
    if len(header) == 1 and ";" in header[0]:
        problems.add(
            1,
            "",
            "the header is separated by semicolons: save the file comma separated "
            f"(the header is {','.join(fmt.columns)})",
        )
        return
    seen: set[str] = set()
    for name in header:
        if not name:
            continue
        if name in seen:
            problems.add(1, name, f"column {name!r} is named twice: keep one of them")
        elif name not in fmt.columns:
            problems.add(
                1,
                name,
                f"unknown column {name!r}: a {fmt.what} has the columns "
                f"{', '.join(fmt.columns)}; rename or remove it",
            )
        seen.add(name)
    for name in fmt.required:
        if name not in seen:
            problems.add(1, name, f"missing column {name!r}: add it to the header")


def _write(rows: list[list[str]], columns: tuple[str, ...], path: CsvPath | None) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(rows)
    text = out.getvalue()
    if path is not None:
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write(text)
    return text


# ---- cells -----------------------------------------------------------------------


def _required(text: str, column: str) -> str:
    if not text:
        raise InventoryError(f"{column} is empty: every row needs one")
    return text


def _sku(catalog: Catalog, text: str) -> str:
    sku = _required(text, "sku")
    if sku not in catalog:
        raise InventoryError(f"no product {sku!r} in the catalog: fix the SKU or add the product")
    return sku


def _location(locations: dict[str, Location], text: str) -> str:
    loc = _required(text, "location")
    found = locations.get(loc)
    if found is None:
        raise InventoryError(
            f"unknown location {loc!r}: add it with store.inventory.add_location() first"
        )
    if not found.active:
        raise InventoryError(
            f"location {loc!r} is inactive; reactivate it with add_location() first"
        )
    return loc


def _flag(text: str, column: str) -> bool:
    word = text.lower()
    if word in _YES:
        return True
    if word in _NO:
        return False
    raise InventoryError(f"{column} must be yes or no (or true/false, 1/0), got {text!r}")


def _negative(text: str) -> NegativeStock:
    try:
        return NegativeStock(text.lower())
    except ValueError:
        names = ", ".join(m.value for m in NegativeStock)
        raise InventoryError(f"negative_stock must be one of {names}, got {text!r}") from None


def _cost(text: str, column: str) -> Decimal | None:
    if not text:
        return None
    cost = to_decimal(text, column)
    if cost < 0:
        raise InventoryError(f"{column} cannot be negative, got {text!r}")
    exponent = cost.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -_COST_PLACES:
        raise InventoryError(
            f"{column} has more than {_COST_PLACES} decimals ({text!r}); round it first"
        )
    if cost >= 10**15:
        raise InventoryError(f"{column} {text!r} is implausibly large; check it")
    return cost


def _quantity(
    inventory: Inventory,
    sku: str,
    text: str,
    column: str,
    *,
    signed: bool = False,
    zero: bool = True,
) -> Decimal:
    if not text:
        raise InventoryError(f"{column} is empty: give a quantity (0 for none)")
    return inventory._quantity(sku, text, signed=signed, zero=zero)


def _number(value: Decimal | None) -> str:
    return "" if value is None else format(value, "f")


def _json(value: Any) -> str:
    from possdk.storage._codec import dumps

    return dumps(value)


# ---- items -----------------------------------------------------------------------


def import_items(inventory: Inventory, source: CsvSource) -> int:
    """Set items' stock rules from an items file; the number of rows.

    Raises:
        CsvImportError: the file has problems; nothing was imported.
    """
    rows, found = _read(source, _ITEMS)
    problems = _Problems(_ITEMS.what, found)
    catalog = inventory._store.catalog
    wanted: list[tuple[str, dict[str, Any]]] = []
    first: dict[str, int] = {}
    for line, cells in rows:
        row = problems.row(line)
        sku = ""
        with row.cell("sku"):
            sku = _sku(catalog, cells["sku"])
        if sku in first:
            row.add("sku", f"{sku!r} is on line {first[sku]} already: keep one row per item")
        elif sku:
            first[sku] = line
        changes: dict[str, Any] = {}
        with row.cell("tracked"):
            if cells["tracked"]:
                changes["tracked"] = _flag(cells["tracked"], "tracked")
        with row.cell("negative_stock"):
            if cells["negative_stock"]:
                changes["negative"] = _negative(cells["negative_stock"])
        with row.cell("average_cost"):
            cost = _cost(cells["average_cost"], "average_cost")
            if cost is not None:
                changes["average_cost"] = cost
        if row.ok:
            wanted.append((sku, changes))
    problems.raise_if_any()
    if not wanted:
        return 0

    def work(uow: UnitOfWork) -> None:
        kept = uow.stock_items([sku for sku, _ in wanted], lock=True)
        changed = []
        for sku, changes in wanted:
            before = kept.get(sku) or StockItem(sku)
            after = attrs.evolve(before, **changes)
            if after != before:
                uow.put_stock_item(after)
                changed.append(after)
        if changed:
            inventory._journaled(uow, "ItemsImported", changed)

    inventory._run(work)
    return len(rows)


def export_items(inventory: Inventory, path: CsvPath | None = None) -> str:
    """Every catalog product's stock rules as an items file (the text; written to ``path`` too)."""
    kept = inventory._store._read(lambda uow: uow.stock_items(None))
    rows = []
    for sku in sorted(p.sku for p in inventory._store.catalog):
        item = kept.get(sku) or StockItem(sku)
        rows.append(
            [
                sku,
                "yes" if item.tracked else "no",
                item.negative.value,
                _number(item.average_cost),
            ]
        )
    return _write(rows, ITEM_COLUMNS, path)


# ---- stock levels ----------------------------------------------------------------


@attrs.frozen
class _LevelRow:
    line: int
    sku: str
    location: str
    on_hand: Decimal
    rule: ReorderRule | None


def import_levels(inventory: Inventory, source: CsvSource) -> int:
    """Set stock on hand (and fixed reorder rules) from a stock levels file; the number of rows.

    Raises:
        CsvImportError: the file has problems; nothing was imported.
    """
    rows, found = _read(source, _LEVELS)
    if not rows and not found:
        return 0

    def work(uow: UnitOfWork) -> None:
        # Checked inside the transaction: locations and stock as the write will see them.
        problems = _Problems(_LEVELS.what, found)
        parsed = _level_rows(inventory, uow, rows, problems)
        items = uow.stock_items({r.sku for r in parsed})
        plan: list[tuple[_LevelRow, StockLevel | None, Decimal]] = []
        # Locked in (sku, location) order, the order every stock movement locks levels in.
        for r in sorted(parsed, key=lambda r: (r.sku, r.location)):
            level = uow.stock_level(r.sku, r.location, lock=True)
            on_hand = level.on_hand if level is not None else ZERO
            reserved = level.reserved if level is not None else ZERO
            delta = EXACT.subtract(r.on_hand, on_hand)
            item = items.get(r.sku)
            available = EXACT.subtract(r.on_hand, reserved)
            if (
                item is not None
                and item.negative is NegativeStock.BLOCK
                and delta < 0
                and available < 0
            ):
                held = f" with {reserved} reserved" if reserved else ""
                problems.add(
                    r.line,
                    "on_hand",
                    f"{r.sku!r} may not go below zero (its negative_stock is 'block'): "
                    f"{r.on_hand} on hand{held} leaves {available} available",
                )
            plan.append((r, level, delta))
        problems.raise_if_any()
        _apply_levels(inventory, uow, plan, items)

    inventory._run(work)
    return len(rows)


def _level_rows(
    inventory: Inventory, uow: UnitOfWork, rows: list[_Row], problems: _Problems
) -> list[_LevelRow]:
    catalog = inventory._store.catalog
    locations = {loc.id: loc for loc in uow.locations()}
    parsed = []
    first: dict[tuple[str, str], int] = {}
    for line, cells in rows:
        row = problems.row(line)
        sku = location = ""
        with row.cell("sku"):
            sku = _sku(catalog, cells["sku"])
        with row.cell("location"):
            location = _location(locations, cells["location"])
        if (sku, location) in first:
            row.add(
                "sku",
                f"{sku!r} at {location!r} is on line {first[(sku, location)]} already: "
                f"keep one row per item and location",
            )
        elif sku and location:
            first[(sku, location)] = line
        if not sku:
            continue  # quantities are checked against the item's unit
        on_hand = ZERO
        point: Decimal | None = None
        up_to: Decimal | None = None
        with row.cell("on_hand"):
            on_hand = _quantity(inventory, sku, cells["on_hand"], "on_hand", signed=True)
        before = row.count
        with row.cell("reorder_point"):
            if cells["reorder_point"]:
                point = _quantity(inventory, sku, cells["reorder_point"], "reorder_point")
        with row.cell("order_up_to"):
            if cells["order_up_to"]:
                up_to = _quantity(inventory, sku, cells["order_up_to"], "order_up_to")
        rule = None
        if row.count == before and (point is None) != (up_to is None):
            missing = "order_up_to" if up_to is None else "reorder_point"
            row.add(
                missing,
                f"{missing} is empty: give reorder_point and order_up_to together, "
                f"or leave both empty to keep the item's reorder rule as it is",
            )
        elif point is not None and up_to is not None:
            with row.cell("order_up_to"):
                rule = ReorderRule.fixed(reorder_point=point, order_up_to=up_to)
        if row.ok:
            parsed.append(_LevelRow(line, sku, location, on_hand, rule))
    return parsed


def _apply_levels(
    inventory: Inventory,
    uow: UnitOfWork,
    plan: list[tuple[_LevelRow, StockLevel | None, Decimal]],
    items: dict[str, StockItem],
) -> None:
    from possdk.storage._codec import loads

    store = inventory._store
    kept_rules = {(sku, loc): loads(text, ReorderRule) for sku, loc, text in uow.reorder_rules()}
    now = store.clock.now()
    import_id = store.ids.new(now)
    # Rules first, so the movements below see the new points when they note crossings.
    rules_set = []
    for r, level, _ in plan:
        if r.rule is None or kept_rules.get((r.sku, r.location)) == r.rule:
            continue
        low = level.low if level is not None else False
        uow.put_reorder_rule(
            r.sku, r.location, _json(r.rule), r.rule.reorder_point, r.rule.order_up_to, low
        )
        rules_set.append(r)
    moves = []
    for r, _, delta in plan:
        if not delta:
            continue
        item = items.get(r.sku)
        moves.append(
            Movement(
                store.ids.new(now),
                now,
                r.sku,
                r.location,
                MovementKind.COUNT,
                delta,
                IMPORT_REASON,
                document_id=import_id,
                line_no=r.line,
                unit_cost=item.average_cost if item is not None else None,
            )
        )
    inventory._move(uow, moves, items)
    moved = {(m.sku, m.location_id) for m in moves}
    for r in rules_set:
        if (r.sku, r.location) not in moved:
            level = uow.stock_level(r.sku, r.location)
            if level is not None:
                inventory._note_crossing(uow, level)
    if moves or rules_set:
        payload = {
            "import_id": str(import_id),
            "movements": moves,
            "reorder_rules": [
                {"sku": r.sku, "location": r.location, "rule": r.rule} for r in rules_set
            ],
        }
        inventory._journaled(uow, "StockImported", payload)


def export_levels(
    inventory: Inventory,
    path: CsvPath | None = None,
    *,
    location: str | None = None,
) -> str:
    """Every kept level as a stock levels file (the text; written to ``path`` too).

    Levels holding nothing without a fixed reorder rule are left out (there is
    nothing to say about them), and so are the points of velocity rules: they
    are computed from sales, and importing them would turn the rule fixed.
    """
    if location is not None:
        inventory.location(location)  # refuses an unknown location

    def read(uow: UnitOfWork) -> tuple[list[StockLevel], set[tuple[str, str]]]:
        from possdk.storage._codec import loads

        velocity = {
            (sku, loc)
            for sku, loc, text in uow.reorder_rules()
            if loads(text, ReorderRule).method is ReorderMethod.VELOCITY
        }
        return uow.stock_levels(location_id=location), velocity

    levels, velocity = inventory._store._read(read)
    rows = []
    for lv in levels:
        fixed = lv.reorder_point is not None and (lv.sku, lv.location_id) not in velocity
        if not lv.on_hand and not fixed:
            continue
        rows.append(
            [
                lv.sku,
                lv.location_id,
                _number(lv.on_hand),
                _number(lv.reorder_point if fixed else None),
                _number(lv.order_up_to if fixed else None),
            ]
        )
    return _write(rows, LEVEL_COLUMNS, path)


# ---- suppliers -------------------------------------------------------------------


def import_suppliers(inventory: Inventory, source: CsvSource) -> int:
    """Add or replace suppliers and their items from a suppliers file; the number of rows.

    Suppliers and supplier items not in the file are left as they are.

    Raises:
        CsvImportError: the file has problems; nothing was imported.
    """
    rows, found = _read(source, _SUPPLIERS)
    problems = _Problems(_SUPPLIERS.what, found)
    suppliers: dict[str, tuple[int, Supplier]] = {}
    items: list[SupplierItem] = []
    first: dict[tuple[str, str], int] = {}
    for line, cells in rows:
        row = problems.row(line)
        supplier = _supplier(row, cells, suppliers)
        item = _supplier_item(inventory, row, cells)
        if supplier is None:
            continue
        key = (supplier.id, cells["sku"])
        if key in first:
            what = f"{cells['sku']!r} of {supplier.id!r}" if cells["sku"] else repr(supplier.id)
            row.add(
                "sku" if cells["sku"] else "supplier_id",
                f"{what} is on line {first[key]} already: keep one row per supplier and item",
            )
            continue
        first[key] = line
        suppliers.setdefault(supplier.id, (line, supplier))
        if item is not None:
            items.append(item)
    problems.raise_if_any()
    if not rows:
        return 0

    def work(uow: UnitOfWork) -> None:
        kept = {s.id: s for s in uow.suppliers()}
        kept_items = {(i.supplier_id, i.sku): i for i in uow.supplier_items()}
        changed = [s for _, s in suppliers.values() if kept.get(s.id) != s]
        changed_items = [i for i in items if kept_items.get((i.supplier_id, i.sku)) != i]
        for s in changed:
            uow.put_supplier(s)
        for i in changed_items:
            uow.put_supplier_item(i)
        if changed or changed_items:
            payload = {"suppliers": changed, "items": changed_items}
            inventory._journaled(uow, "SuppliersImported", payload)

    inventory._run(work)
    return len(rows)


def _supplier(
    row: _RowProblems, cells: dict[str, str], seen: dict[str, tuple[int, Supplier]]
) -> Supplier | None:
    """The row's supplier, checked against the model and against earlier rows of it."""
    sid, name, contact = cells["supplier_id"], cells["supplier_name"], cells["contact"]
    with row.cell("supplier_id"):
        Supplier(sid, "-")
    with row.cell("supplier_name"):
        Supplier("-", name)
    if len(contact) > 200:
        row.add("contact", f"contact must be at most 200 characters, got {len(contact)}")
    if not row.ok:
        return None
    supplier = Supplier(sid, name, contact)
    earlier = seen.get(sid)
    if earlier is not None and earlier[1] != supplier:
        line, other = earlier
        if other.name != name:
            row.add(
                "supplier_name",
                f"supplier {sid!r} is named {other.name!r} on line {line}: "
                f"every row of a supplier gives the same name",
            )
        if other.contact != contact:
            row.add(
                "contact",
                f"supplier {sid!r} has the contact {other.contact!r} on line {line}: "
                f"every row of a supplier gives the same contact",
            )
        return None
    return supplier


def _supplier_item(
    inventory: Inventory, row: _RowProblems, cells: dict[str, str]
) -> SupplierItem | None:
    item_columns = ("supplier_code", "unit_cost", "pack_size", "min_order", "preferred")
    if not cells["sku"]:
        for column in item_columns:
            if cells[column]:
                row.add(
                    column,
                    f"a row without a sku is the supplier alone, so {column} must be empty; "
                    f"give the sku it belongs to",
                )
        return None
    sku = ""
    with row.cell("sku"):
        sku = _sku(inventory._store.catalog, cells["sku"])
    code = cells["supplier_code"]
    if len(code) > 64:
        row.add("supplier_code", f"supplier_code must be at most 64 characters, got {len(code)}")
    unit_cost: Decimal | None = None
    pack = Decimal(1)
    minimum = ZERO
    preferred = False
    with row.cell("unit_cost"):
        unit_cost = _cost(cells["unit_cost"], "unit_cost")
    if sku:
        with row.cell("pack_size"):
            if cells["pack_size"]:
                pack = _quantity(inventory, sku, cells["pack_size"], "pack_size", zero=False)
        with row.cell("min_order"):
            if cells["min_order"]:
                minimum = _quantity(inventory, sku, cells["min_order"], "min_order")
    with row.cell("preferred"):
        if cells["preferred"]:
            preferred = _flag(cells["preferred"], "preferred")
    if not row.ok:
        return None
    return SupplierItem(cells["supplier_id"], sku, code, unit_cost, pack, minimum, preferred)


def export_suppliers(inventory: Inventory, path: CsvPath | None = None) -> str:
    """Every supplier and its items as a suppliers file (the text; written to ``path`` too)."""

    def read(uow: UnitOfWork) -> tuple[list[Supplier], list[SupplierItem]]:
        return uow.suppliers(), uow.supplier_items()

    suppliers, items = inventory._store._read(read)
    by_supplier: dict[str, list[SupplierItem]] = {}
    for item in items:
        by_supplier.setdefault(item.supplier_id, []).append(item)
    rows = []
    for s in suppliers:
        head = [s.id, s.name, s.contact]
        offered = by_supplier.get(s.id, [])
        if not offered:
            rows.append([*head, "", "", "", "", "", ""])
        for i in offered:
            rows.append(
                [
                    *head,
                    i.sku,
                    i.supplier_code,
                    _number(i.unit_cost),
                    _number(i.pack_size),
                    _number(i.min_order),
                    "yes" if i.preferred else "no",
                ]
            )
    return _write(rows, SUPPLIER_COLUMNS, path)

"""Products, units of sale, and the catalog with constant-time look-ups."""

from __future__ import annotations

import enum
import gc
from collections.abc import Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from types import MappingProxyType
from typing import Protocol

import attrs

from possdk.core._barcodes import BarcodeLayouts, Gtin, MeasureKind
from possdk.core._decimal import RoundingMode, quantize
from possdk.core._money import Money
from possdk.core._tax import TaxCategory
from possdk.errors import (
    CatalogError,
    DuplicateProductError,
    InvalidBarcodeError,
    ProductNotFoundError,
)

__all__ = ["Catalog", "CatalogListener", "Product", "ProductKind", "ScanMatch", "Unit"]


class Unit(enum.Enum):
    """How a product is sold and how finely its quantity may be given."""

    EACH = "each"
    """Whole pieces."""
    KILOGRAM = "kg"
    """By weight, to the gram."""
    LITRE = "l"
    """By volume, to the millilitre."""
    METRE = "m"
    """By length, to the centimetre."""

    @property
    def decimals(self) -> int:
        """Decimal places a quantity in this unit may have by default."""
        return _UNIT_DECIMALS[self]

    @property
    def is_measured(self) -> bool:
        """True for units sold by weight, volume or length."""
        return self is not Unit.EACH


class ProductKind(enum.Enum):
    """What selling a product means."""

    GOODS = "goods"
    """Goods or services: priced, taxed and promoted as usual."""
    GIFT_CARD = "gift_card"
    """A gift card sold or reloaded: money put on a card, not a taxable supply.

    Its line carries no tax, takes no discount or promotion and earns no
    points; tax is due when the card is spent on goods.
    """


_UNIT_DECIMALS = {Unit.EACH: 0, Unit.KILOGRAM: 3, Unit.LITRE: 3, Unit.METRE: 2}


def _barcodes(value: Iterable[str | Gtin]) -> tuple[Gtin, ...]:
    if isinstance(value, (str, Gtin)):
        value = [value]
    parse = Gtin.parse
    return tuple([v if isinstance(v, Gtin) else parse(v) for v in value])


_NO_ATTRIBUTES: Mapping[str, str] = MappingProxyType({})


def _attributes(value: Mapping[str, str] | None) -> Mapping[str, str]:
    return MappingProxyType(dict(value)) if value else _NO_ATTRIBUTES


@attrs.frozen
class Product:
    """Something the shop sells.

    ``Product("COFFEE-250", "Coffee beans 250 g", Money("189.00", "UAH"), "standard",
    barcodes=["4820000000017"])``. Variants (sizes, colours) are plain
    products that name a common ``parent_sku``.
    """

    sku: str
    """The merchant's unique stock-keeping unit."""
    name: str
    """The name printed on receipts."""
    price: Money
    """The price per unit of sale (gross or net according to the tax mode)."""
    tax_category: str
    """The code of the product's :class:`TaxCategory` in the catalog."""
    barcodes: tuple[Gtin, ...] = attrs.field(default=(), converter=_barcodes)
    """GTINs that identify the product; given as strings, validated on construction."""
    unit: Unit = Unit.EACH
    """Pieces, or a measured unit (kg, l, m)."""
    quantity_decimals: int | None = None
    """Decimal places allowed in a quantity; defaults to the unit's (3 for kg)."""
    plu: str | None = None
    """The in-store item code that variable-measure barcodes and scales carry."""
    active: bool = True
    """Inactive products stay in the catalog (for old receipts) but cannot be sold."""
    parent_sku: str | None = None
    """For a variant, the SKU of the product it is a variant of."""
    attributes: Mapping[str, str] = attrs.field(factory=dict, converter=_attributes, eq=False)
    """Free-form attributes (size, colour, brand, ...)."""
    category: str | None = None
    """The merchandise category (``"dairy"``), for promotions, points and reports."""
    kind: ProductKind = ProductKind.GOODS
    """Goods, or a gift card."""

    def __attrs_post_init__(self) -> None:
        # One check for the three required texts: cheaper than three validators
        # when a 300,000-product catalog loads.
        for field, value in (
            ("sku", self.sku),
            ("name", self.name),
            ("tax_category", self.tax_category),
        ):
            if not isinstance(value, str) or not value.strip():
                raise CatalogError(f"product {field} must be a non-empty string, got {value!r}")
        if not isinstance(self.price, Money):
            raise CatalogError(f"product {self.sku!r}: price must be Money, got {self.price!r}")

    @property
    def decimals(self) -> int:
        """Decimal places allowed in a quantity of this product."""
        return self.unit.decimals if self.quantity_decimals is None else self.quantity_decimals


@attrs.frozen
class ScanMatch:
    """A scanned code resolved to a product, with what the code itself said."""

    product: Product
    """The product."""
    gtin: Gtin
    """The code as scanned."""
    quantity: Decimal | None = None
    """The weight from a variable-measure code, or None."""
    price: Money | None = None
    """The line price from a price-embedded code, or None."""


class CatalogListener(Protocol):
    """Told about every change before the catalog makes it; raising refuses the change.

    The Store uses it to keep the catalog in its database.
    """

    def products_added(self, products: Sequence[Product]) -> None:
        """New products, all validated, about to be added."""
        ...

    def product_replaced(self, product: Product) -> None:
        """A product about to replace the one with the same SKU."""
        ...

    def tax_category_put(self, category: TaxCategory) -> None:
        """A tax category about to be added or replaced."""
        ...


class Catalog:
    """All products, with constant-time look-ups by SKU, barcode and item code.

    Barcodes are indexed by their 14-digit form, so a UPC-A scan finds a
    product registered by its EAN-13 and vice versa.
    """

    def __init__(
        self,
        tax_categories: Iterable[TaxCategory] = (),
        products: Iterable[Product] = (),
        *,
        layouts: BarcodeLayouts | None = None,
    ) -> None:
        self._tax: dict[str, TaxCategory] = {}
        self._by_sku: dict[str, Product] = {}
        self._by_gtin: dict[str, Product] = {}
        self._by_plu: dict[str, Product] = {}
        self.layouts = layouts or BarcodeLayouts()
        """Variable-measure barcode layouts used by :meth:`scan`."""
        self.listener: CatalogListener | None = None
        """Told about changes before they are made (the Store keeps them in its database)."""
        for category in tax_categories:
            self.add_tax_category(category)
        self.add_many(products)

    # ---- building --------------------------------------------------------

    def add_tax_category(self, category: TaxCategory) -> None:
        """Add or replace a tax category (products refer to it by code)."""
        if self.listener is not None:
            self.listener.tax_category_put(category)
        self._tax[category.code] = category

    def add(self, product: Product) -> None:
        """Add one product.

        Raises:
            DuplicateProductError: the SKU, a barcode or the item code is taken.
            CatalogError: the product's tax category is not in the catalog.
        """
        self.add_many((product,))

    def add_many(self, products: Iterable[Product]) -> int:
        """Add products in bulk; all or none are added. Returns how many.

        While it runs, Python's cyclic garbage collector is paused (and resumed
        afterwards, also on error): products hold no reference cycles, and
        collections triggered by hundreds of thousands of new objects cost a
        quarter of a large load's time without freeing anything.
        """
        paused = gc.isenabled()
        if paused:
            gc.disable()
        try:
            return self._add_many(products)
        finally:
            if paused:
                gc.enable()

    def _add_many(self, products: Iterable[Product]) -> int:
        staged_sku: dict[str, Product] = {}
        staged_gtin: dict[str, Product] = {}
        staged_plu: dict[str, Product] = {}
        by_sku, by_gtin, by_plu, tax = self._by_sku, self._by_gtin, self._by_plu, self._tax
        for p in products:
            sku = p.sku
            if sku in by_sku or sku in staged_sku:
                raise DuplicateProductError(sku, "SKU", sku)
            if p.tax_category not in tax:
                raise CatalogError(
                    f"product {sku!r} uses tax category {p.tax_category!r}, which the catalog "
                    f"does not have; add it with add_tax_category() first"
                )
            staged_sku[sku] = p
            for g in p.barcodes:
                key = g.gtin14
                other = by_gtin.get(key) or staged_gtin.get(key)
                if other is not None:
                    raise DuplicateProductError(g.code, "barcode", other.sku)
                staged_gtin[key] = p
            if p.plu is not None:
                other = by_plu.get(p.plu) or staged_plu.get(p.plu)
                if other is not None:
                    raise DuplicateProductError(p.plu, "item code", other.sku)
                staged_plu[p.plu] = p
        if self.listener is not None and staged_sku:
            self.listener.products_added(list(staged_sku.values()))
        by_sku.update(staged_sku)
        by_gtin.update(staged_gtin)
        by_plu.update(staged_plu)
        return len(staged_sku)

    def replace(self, product: Product) -> Product:
        """Replace the product with the same SKU (a new price, a new barcode, ...).

        Returns the previous version. Lines already in a sale keep the old
        price; new lines get the new one.
        """
        old = self.get(product.sku)
        if product.tax_category not in self._tax:
            raise CatalogError(f"unknown tax category {product.tax_category!r}")
        for g in product.barcodes:
            other = self._by_gtin.get(g.gtin14)
            if other is not None and other.sku != product.sku:
                raise DuplicateProductError(g.code, "barcode", other.sku)
        if product.plu is not None:
            other = self._by_plu.get(product.plu)
            if other is not None and other.sku != product.sku:
                raise DuplicateProductError(product.plu, "item code", other.sku)
        if self.listener is not None:
            self.listener.product_replaced(product)
        for g in old.barcodes:
            del self._by_gtin[g.gtin14]
        if old.plu is not None:
            del self._by_plu[old.plu]
        self._by_sku[product.sku] = product
        for g in product.barcodes:
            self._by_gtin[g.gtin14] = product
        if product.plu is not None:
            self._by_plu[product.plu] = product
        return old

    # ---- looking up ------------------------------------------------------

    def __len__(self) -> int:
        return len(self._by_sku)

    def __iter__(self) -> Iterator[Product]:
        return iter(self._by_sku.values())

    def __contains__(self, sku: object) -> bool:
        return sku in self._by_sku

    def get(self, sku: str) -> Product:
        """The product with this SKU.

        Raises:
            ProductNotFoundError: no such SKU.
        """
        try:
            return self._by_sku[sku]
        except KeyError:
            raise ProductNotFoundError(sku, "SKU") from None

    def tax_category(self, code: str) -> TaxCategory:
        """The tax category with this code."""
        try:
            return self._tax[code]
        except KeyError:
            raise CatalogError(f"no tax category {code!r} in the catalog") from None

    @property
    def tax_categories(self) -> Mapping[str, TaxCategory]:
        """All tax categories by code (read-only)."""
        return MappingProxyType(self._tax)

    def by_plu(self, item_code: str) -> Product:
        """The product with this in-store item code (PLU)."""
        try:
            return self._by_plu[item_code]
        except KeyError:
            raise ProductNotFoundError(item_code, "item code") from None

    def by_barcode(self, code: str) -> Product:
        """The product with this exact GTIN (any of its 8/12/13/14-digit forms).

        Raises:
            InvalidBarcodeError: the code is not a valid GTIN.
            ProductNotFoundError: the code is valid but no product has it.
        """
        # Fast path: every key was validated on insert, so a hit needs no check.
        if isinstance(code, str) and len(code) in (8, 12, 13, 14):
            hit = self._by_gtin.get(code.zfill(14))
            if hit is not None:
                return hit
        gtin = Gtin.parse(code)
        hit = self._by_gtin.get(gtin.gtin14)
        if hit is None:
            raise ProductNotFoundError(gtin.code, "barcode")
        return hit

    def scan(self, code: str) -> ScanMatch:
        """Resolve a scanned code: an ordinary GTIN or a variable-measure code.

        Variable-measure codes (prefix 20-29 with a layout in :attr:`layouts`)
        find their product by item code and carry a weight or a price. An
        in-store code whose prefix has no layout must be registered as a
        product barcode, or it is refused.

        Raises:
            InvalidBarcodeError: malformed, bad check digit, or an in-store
                prefix without a layout.
            ProductNotFoundError: a valid code that no product has.
        """
        gtin = Gtin.parse(code)
        layout = self.layouts.layout_for(gtin)
        if layout is None:
            hit = self._by_gtin.get(gtin.gtin14)
            if hit is not None:
                return ScanMatch(hit, gtin)
            if BarcodeLayouts.is_in_store(gtin):
                raise InvalidBarcodeError(
                    gtin.code,
                    f"in-store prefix {gtin.gtin14[1:3]} has no variable-measure layout and no "
                    f"product has this code; configure a layout for the prefix or add the "
                    f"code to a product",
                )
            raise ProductNotFoundError(gtin.code, "barcode")
        measure = layout.decode(gtin)
        product = self._by_plu.get(measure.item_code)
        if product is None:
            raise ProductNotFoundError(measure.item_code, "item code")
        if measure.measure is MeasureKind.PRICE:
            price = Money(measure.value, product.price.currency)
            return ScanMatch(product, gtin, price=price)
        if not product.unit.is_measured:
            raise InvalidBarcodeError(
                gtin.code,
                f"it carries a weight but product {product.sku!r} is sold by the piece; "
                f"fix the layout for prefix {layout.prefix} or the product's unit",
            )
        quantity = quantize(measure.value, Decimal(1).scaleb(-product.decimals), RoundingMode.DOWN)
        return ScanMatch(product, gtin, quantity=quantity)

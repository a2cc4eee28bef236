"""bench_catalog: build a 300,000-product catalog and look up 100,000 random barcodes.

Building means what loading from storage will do: validate every row into a
Product (Money, GTIN check digits) and index it. The baseline is a plain
dict built from the same rows and queried with the same codes. Goals: build
< 3 s, look-up < 5 us.
"""

from __future__ import annotations

import random
import time

from benchmarks._util import best_of
from possdk import Catalog, Money, Product, TaxCategory, TaxRate
from possdk.core import Gtin

PRODUCTS = 300_000
LOOKUPS = 100_000


def rows(n: int = PRODUCTS) -> list[tuple[str, str, str, str, str]]:
    result = []
    for i in range(n):
        body = f"482{i:09d}"
        code = Gtin.from_body(body).code
        result.append(
            (f"SKU{i:06d}", f"Product {i}", f"{(i % 9999) + 1}.{i % 100:02d}", "std", code)
        )
    return result


def build(data: list[tuple[str, str, str, str, str]]) -> Catalog:
    catalog = Catalog([TaxCategory("std", [TaxRate("VAT20", "20")])])
    catalog.add_many(
        Product(sku, name, Money(price, "UAH"), cat, barcodes=(code,))
        for sku, name, price, cat, code in data
    )
    return catalog


def run() -> list[str]:
    data = rows()
    rnd = random.Random(7)
    codes = [data[rnd.randrange(len(data))][4] for _ in range(LOOKUPS)]
    # UPC/EAN/GTIN-14 forms mixed, as scanners send them
    codes = [c if i % 3 else c.zfill(14) for i, c in enumerate(codes)]

    builds = []
    for _ in range(3):  # the first build is cold (the allocator grows the heap); keep both
        start = time.perf_counter()
        catalog = build(data)
        builds.append(time.perf_counter() - start)
    build_s, cold_s = min(builds), builds[0]
    start = time.perf_counter()
    plain = {row[4].zfill(14): row for row in data}
    plain_s = time.perf_counter() - start

    def lookups() -> None:
        by_barcode = catalog.by_barcode
        for c in codes:
            by_barcode(c)

    def plain_lookups() -> None:
        get = plain.__getitem__
        for c in codes:
            get(c.zfill(14))

    def scans() -> None:
        scan = catalog.scan
        for c in codes[:20_000]:
            scan(c)

    import tempfile

    from possdk import Settings, Store

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/catalog.db"
        start = time.perf_counter()
        Store.open(
            url, settings=Settings(currency="UAH"), catalog=catalog, load_entry_points=False
        ).close()
        import_s = time.perf_counter() - start
        reopen_s = best_of(lambda: Store.open(url, load_entry_points=False).close(), repeat=2)

    per = best_of(lookups, repeat=5) / LOOKUPS
    plain_per = best_of(plain_lookups, repeat=5) / LOOKUPS
    scan_per = best_of(scans, repeat=3) / 20_000
    assert len(catalog) == PRODUCTS
    return [
        f"bench_catalog build: {build_s:.2f} s for {PRODUCTS:,} products, best of 3 "
        f"(first, cold: {cold_s:.2f} s; plain dict of the same rows {plain_s:.2f} s) [goal < 3 s]",
        f"bench_catalog by_barcode: {per * 1e6:.2f} us per look-up over {LOOKUPS:,} codes "
        f"(plain dict {plain_per * 1e6:.2f} us, ratio {per / plain_per:.1f}x) [goal < 5 us]",
        f"bench_catalog scan (validates check digit, variable-measure layouts): "
        f"{scan_per * 1e6:.2f} us per scan",
        f"bench_catalog kept in SQLite: first import {import_s:.2f} s, opening the store "
        f"(loading all {PRODUCTS:,} products into memory) {reopen_s:.2f} s",
    ]


if __name__ == "__main__":
    print("\n".join(run()))

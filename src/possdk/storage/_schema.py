"""The database schema, in SQLAlchemy Core: one definition for SQLite and PostgreSQL.

Money is stored as integer minor units (``*_minor``) or, where a price may
carry more digits than the minor unit, as exact decimal text; never as a
float. Quantities are integer millionths (``quantity_micro``). Times are UTC
with a time zone. The Alembic migrations in ``possdk/storage/migrations``
create exactly these tables (a test compares them).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

__all__ = ["SCHEMA_REVISION", "UTCDateTime", "metadata"]

# The Alembic revision this code expects. Opening an older database asks the
# user to run `possdk db upgrade`; a newer one is refused.
SCHEMA_REVISION = "0011"


class UTCDateTime(sa.TypeDecorator[datetime]):
    """An aware UTC datetime: TIMESTAMPTZ on PostgreSQL, ISO text on SQLite."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> sa.types.TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(sa.String(32))
        return dialect.type_descriptor(sa.DateTime(timezone=True))

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: possdk stores aware UTC times only")
        utc = value.astimezone(timezone.utc)
        return utc.isoformat(timespec="microseconds") if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        assert isinstance(value, datetime)
        return (
            value.astimezone(timezone.utc) if value.tzinfo else value.replace(tzinfo=timezone.utc)
        )


metadata = sa.MetaData()

Uuid = sa.Uuid(as_uuid=True)

settings = sa.Table(
    "settings",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

tax_categories = sa.Table(
    "tax_categories",
    metadata,
    sa.Column("code", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("rates", sa.Text, nullable=False),  # canonical JSON list of rates
)

products = sa.Table(
    "products",
    metadata,
    sa.Column("sku", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(400), nullable=False),
    sa.Column("price", sa.String(40), nullable=False),  # exact decimal text
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("tax_category", sa.String(64), sa.ForeignKey("tax_categories.code"), nullable=False),
    sa.Column("unit", sa.String(8), nullable=False),
    sa.Column("quantity_decimals", sa.Integer, nullable=True),
    sa.Column("plu", sa.String(16), nullable=True, unique=True),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("parent_sku", sa.String(64), nullable=True),
    sa.Column("attributes", sa.Text, nullable=False),
    sa.Column("category", sa.String(64), nullable=True),
    sa.Column("kind", sa.String(16), nullable=False, server_default="goods"),
)

product_barcodes = sa.Table(
    "product_barcodes",
    metadata,
    sa.Column("gtin14", sa.String(14), primary_key=True),
    sa.Column("sku", sa.String(64), sa.ForeignKey("products.sku"), nullable=False, index=True),
    sa.Column("kind", sa.Integer, nullable=False),  # 8, 12, 13 or 14: the form it was given in
)

operators = sa.Table(
    "operators",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("role", sa.Text, nullable=False),  # canonical JSON
)

registers = sa.Table(
    "registers",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("receipt_count", sa.Integer, nullable=False),
    sa.Column("z_count", sa.Integer, nullable=False),
    sa.Column("location_id", sa.String(64), nullable=True),  # where it sells from; None: main
)

register_sessions = sa.Table(
    "register_sessions",
    metadata,
    sa.Column("id", Uuid, primary_key=True),
    sa.Column("register_id", sa.String(64), sa.ForeignKey("registers.id"), nullable=False),
    sa.Column("operator_id", sa.String(64), nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("opening_float_minor", sa.BigInteger, nullable=False),
    sa.Column("opened_at", UTCDateTime, nullable=False),
    sa.Column("closed_at", UTCDateTime, nullable=True),
    sa.Column("totals", sa.Text, nullable=False),  # the running RegisterTotals, JSON
    sa.Column("z_number", sa.Integer, nullable=True),
    sa.Column("z_report", sa.Text, nullable=True),
    sa.Index("ix_register_sessions_open", "register_id", "closed_at"),
    # At most one open session per register, whatever the application does.
    sa.Index(
        "ux_register_sessions_one_open",
        "register_id",
        unique=True,
        sqlite_where=sa.text("closed_at IS NULL"),
        postgresql_where=sa.text("closed_at IS NULL"),
    ),
)

sales = sa.Table(
    "sales",
    metadata,
    sa.Column("id", Uuid, primary_key=True),
    sa.Column("number", sa.String(80), nullable=False, unique=True),
    sa.Column("kind", sa.String(8), nullable=False),
    sa.Column("register_id", sa.String(64), nullable=False),
    sa.Column(
        "session_id", Uuid, sa.ForeignKey("register_sessions.id"), nullable=False, index=True
    ),
    sa.Column("operator_id", sa.String(64), nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("started_at", UTCDateTime, nullable=False),
    sa.Column("completed_at", UTCDateTime, nullable=False, index=True),
    sa.Column("subtotal_minor", sa.BigInteger, nullable=False),
    sa.Column("discount_minor", sa.BigInteger, nullable=False),
    sa.Column("net_minor", sa.BigInteger, nullable=False),
    sa.Column("tax_minor", sa.BigInteger, nullable=False),
    sa.Column("total_minor", sa.BigInteger, nullable=False),
    sa.Column("rounding_minor", sa.BigInteger, nullable=False),
    sa.Column("change_minor", sa.BigInteger, nullable=False),
    sa.Column("return_of", Uuid, sa.ForeignKey("sales.id"), nullable=True, index=True),
    sa.Column("receipt", sa.Text, nullable=False),  # the whole receipt, canonical JSON
    sa.Column("customer_id", sa.String(36), nullable=True),  # the identified customer (0010)
    sa.Index("ix_sales_register_completed", "register_id", "completed_at"),
    sa.Index("ix_sales_customer_completed", "customer_id", "completed_at"),
)

sale_lines = sa.Table(
    "sale_lines",
    metadata,
    sa.Column("sale_id", Uuid, sa.ForeignKey("sales.id"), primary_key=True),
    sa.Column("line_no", sa.Integer, primary_key=True),
    sa.Column("sku", sa.String(64), nullable=False, index=True),
    sa.Column("name", sa.String(400), nullable=False),
    sa.Column("quantity_micro", sa.BigInteger, nullable=False),
    sa.Column("unit", sa.String(8), nullable=False),
    sa.Column("unit_price", sa.String(40), nullable=False),
    sa.Column("subtotal_minor", sa.BigInteger, nullable=False),
    sa.Column("discount_minor", sa.BigInteger, nullable=False),
    sa.Column("net_minor", sa.BigInteger, nullable=False),
    sa.Column("tax_minor", sa.BigInteger, nullable=False),
    sa.Column("gross_minor", sa.BigInteger, nullable=False),
    sa.Column("voided", sa.Boolean, nullable=False),
    sa.Column("return_of_sale", Uuid, nullable=True),
    sa.Column("return_of_line", sa.Integer, nullable=True),
    sa.Index("ix_sale_lines_return_of", "return_of_sale", "return_of_line"),
)

sale_taxes = sa.Table(
    "sale_taxes",
    metadata,
    sa.Column("sale_id", Uuid, sa.ForeignKey("sales.id"), primary_key=True),
    sa.Column("rate_code", sa.String(64), primary_key=True),
    sa.Column("percent", sa.String(20), nullable=False),
    sa.Column("net_minor", sa.BigInteger, nullable=False),
    sa.Column("tax_minor", sa.BigInteger, nullable=False),
)

sale_promotions = sa.Table(
    "sale_promotions",  # what each automatic promotion took off a receipt (0010)
    metadata,
    sa.Column("sale_id", Uuid, sa.ForeignKey("sales.id"), primary_key=True),
    sa.Column("seq", sa.Integer, primary_key=True),
    sa.Column("promotion_id", sa.String(64), nullable=False),
    sa.Column("description", sa.String(400), nullable=False),
    sa.Column("line_no", sa.Integer, nullable=True),  # None: off the whole sale
    sa.Column("amount_minor", sa.BigInteger, nullable=False),
)

tenders = sa.Table(
    "tenders",
    metadata,
    sa.Column("sale_id", Uuid, sa.ForeignKey("sales.id"), primary_key=True),
    sa.Column("tender_no", sa.Integer, primary_key=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("amount_minor", sa.BigInteger, nullable=False),
    sa.Column("tendered_minor", sa.BigInteger, nullable=False),
    sa.Column("change_minor", sa.BigInteger, nullable=False),
    sa.Column("rounding_minor", sa.BigInteger, nullable=False),
    sa.Column("reference", sa.String(200), nullable=True),
)

suspended_sales = sa.Table(
    "suspended_sales",
    metadata,
    sa.Column("id", Uuid, primary_key=True),
    sa.Column("register_id", sa.String(64), nullable=False),
    sa.Column("operator_id", sa.String(64), nullable=False),
    sa.Column("suspended_at", UTCDateTime, nullable=False),
    sa.Column("payload", sa.Text, nullable=False),
)

journal = sa.Table(
    "journal",
    metadata,
    sa.Column("id", Uuid, primary_key=True),
    sa.Column("terminal_id", sa.String(64), nullable=False),
    sa.Column("seq", sa.BigInteger, nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("type", sa.String(64), nullable=False),
    sa.Column("amount_minor", sa.BigInteger, nullable=False),
    sa.Column("payload", sa.Text, nullable=False),
    sa.Column("gt_sales_minor", sa.BigInteger, nullable=False),
    sa.Column("gt_returns_minor", sa.BigInteger, nullable=False),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
    sa.Column("signature", sa.Text, nullable=True),
    sa.UniqueConstraint("terminal_id", "seq", name="uq_journal_terminal_seq"),
    sa.Index("ix_journal_at", "at"),
)

journal_heads = sa.Table(
    "journal_heads",
    metadata,
    sa.Column("terminal_id", sa.String(64), primary_key=True),
    sa.Column("seq", sa.BigInteger, nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
    sa.Column("gt_sales_minor", sa.BigInteger, nullable=False),
    sa.Column("gt_returns_minor", sa.BigInteger, nullable=False),
)

payments = sa.Table(
    "payments",
    metadata,
    sa.Column("id", Uuid, primary_key=True),
    sa.Column("sale_id", Uuid, nullable=True, index=True),
    sa.Column("terminal_id", sa.String(64), nullable=True),
    sa.Column("provider", sa.String(64), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("requested_minor", sa.BigInteger, nullable=False),
    sa.Column("approved_minor", sa.BigInteger, nullable=False),
    sa.Column("captured_minor", sa.BigInteger, nullable=False),
    sa.Column("refunded_minor", sa.BigInteger, nullable=False),
    sa.Column("reference", sa.String(200), nullable=True),
    sa.Column("card_brand", sa.String(20), nullable=True),
    sa.Column("card_first6", sa.String(6), nullable=True),
    sa.Column("card_last4", sa.String(4), nullable=True),
    sa.Column("decline_code", sa.String(20), nullable=True),
    sa.Column("decline_message", sa.String(200), nullable=False),
    sa.Column("offline", sa.Boolean, nullable=False),
    sa.Column("forwarded_at", UTCDateTime, nullable=True),
    sa.Column("exception", sa.String(400), nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Index("ix_payments_queue", "offline", "forwarded_at"),
)

payment_attempts = sa.Table(
    "payment_attempts",
    metadata,
    sa.Column("key", sa.String(200), primary_key=True),  # the idempotency key
    sa.Column("payment_id", Uuid, nullable=False, index=True),
    sa.Column("operation", sa.String(16), nullable=False),
    sa.Column("fingerprint", sa.String(400), nullable=False),
    sa.Column("result", sa.Text, nullable=True),  # the provider's answer, once known
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("completed_at", UTCDateTime, nullable=True),
)

accounts = sa.Table(
    "accounts",
    metadata,
    sa.Column("number", sa.String(64), primary_key=True),
    sa.Column("kind", sa.String(16), nullable=False),  # gift_card | store_credit
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("balance_minor", sa.BigInteger, nullable=False),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.CheckConstraint("balance_minor >= 0", name="ck_accounts_balance_not_negative"),
)

account_entries = sa.Table(
    "account_entries",
    metadata,
    sa.Column("key", sa.String(200), primary_key=True),  # idempotency: one entry per key
    sa.Column(
        "number", sa.String(64), sa.ForeignKey("accounts.number"), nullable=False, index=True
    ),
    sa.Column("amount_minor", sa.BigInteger, nullable=False),
    sa.Column("balance_minor", sa.BigInteger, nullable=False),
    sa.Column("payment_id", Uuid, nullable=True),
    sa.Column("at", UTCDateTime, nullable=False),
)

# ---- inventory -------------------------------------------------------------------

DEFAULT_LOCATION = ("main", "Main", "store")
"""The location every store starts with (id, name, kind); inserted with the schema."""

locations = sa.Table(
    "locations",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("damaged_to", sa.String(64), nullable=True),
    sa.Column("active", sa.Boolean, nullable=False),
)

stock_items = sa.Table(
    "stock_items",
    metadata,
    sa.Column("sku", sa.String(64), primary_key=True),
    sa.Column("tracked", sa.Boolean, nullable=False),
    sa.Column("negative", sa.String(8), nullable=False),  # allow | warn | block
    sa.Column("average_cost", sa.String(40), nullable=True),  # exact decimal text
    sa.Column("last_cost", sa.String(40), nullable=True),
)

stock_levels = sa.Table(
    "stock_levels",
    metadata,
    sa.Column("sku", sa.String(64), primary_key=True),
    sa.Column("location_id", sa.String(64), primary_key=True),
    sa.Column("on_hand_micro", sa.BigInteger, nullable=False),  # a cache of the ledger's sum
    sa.Column("reserved_micro", sa.BigInteger, nullable=False),
    sa.Column("reorder_point_micro", sa.BigInteger, nullable=True),
    sa.Column("order_up_to_micro", sa.BigInteger, nullable=True),
    sa.Column("low", sa.Boolean, nullable=False),  # crossed the reorder point, not re-armed yet
    sa.CheckConstraint("reserved_micro >= 0", name="ck_stock_levels_reserved_not_negative"),
    sqlite_with_rowid=False,  # clustered by its key: one B-tree to write, not two
)

stock_movements = sa.Table(
    "stock_movements",
    metadata,
    sa.Column("id", Uuid, primary_key=True),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("sku", sa.String(64), nullable=False),
    sa.Column("location_id", sa.String(64), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("quantity_micro", sa.BigInteger, nullable=False),
    sa.Column("reason", sa.String(16), nullable=False),
    sa.Column("reference", sa.String(64), nullable=False),
    sa.Column("document_id", Uuid, nullable=True),
    sa.Column("line_no", sa.Integer, nullable=True),
    sa.Column("unit_cost", sa.String(40), nullable=True),
    sa.Column("note", sa.String(200), nullable=False),
    sa.Index("ix_stock_movements_item", "sku", "location_id", "at"),
    sa.Index("ix_stock_movements_document", "document_id"),
    sqlite_with_rowid=False,  # clustered by the time-ordered id: appends, one B-tree fewer
)

stock_reservations = sa.Table(
    "stock_reservations",
    metadata,
    sa.Column("id", Uuid, primary_key=True),
    sa.Column("sku", sa.String(64), nullable=False),
    sa.Column("location_id", sa.String(64), nullable=False),
    sa.Column("quantity_micro", sa.BigInteger, nullable=False),
    sa.Column("reference", sa.String(64), nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("released_at", UTCDateTime, nullable=True),
)

reorder_rules = sa.Table(
    "reorder_rules",
    metadata,
    sa.Column("sku", sa.String(64), primary_key=True),
    sa.Column("location_id", sa.String(64), primary_key=True),
    sa.Column("rule", sa.Text, nullable=False),  # canonical JSON of the ReorderRule
)

suppliers = sa.Table(
    "suppliers",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("contact", sa.String(200), nullable=False),
)

supplier_items = sa.Table(
    "supplier_items",
    metadata,
    sa.Column("supplier_id", sa.String(64), sa.ForeignKey("suppliers.id"), primary_key=True),
    sa.Column("sku", sa.String(64), primary_key=True),
    sa.Column("supplier_code", sa.String(64), nullable=False),
    sa.Column("unit_cost", sa.String(40), nullable=True),
    sa.Column("pack_micro", sa.BigInteger, nullable=False),
    sa.Column("min_order_micro", sa.BigInteger, nullable=False),
    sa.Column("preferred", sa.Boolean, nullable=False),
)

stock_documents = sa.Table(
    "stock_documents",
    metadata,
    sa.Column("id", Uuid, primary_key=True),
    sa.Column("kind", sa.String(16), nullable=False),  # purchase_order | transfer | count
    sa.Column("number", sa.String(32), nullable=False, unique=True),
    sa.Column("status", sa.String(24), nullable=False),
    sa.Column("location_id", sa.String(64), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("body", sa.Text, nullable=False),  # canonical JSON of the document
    sa.Index("ix_stock_documents_kind_status", "kind", "status"),
)

stock_count_lines = sa.Table(
    "stock_count_lines",
    metadata,
    sa.Column("count_id", Uuid, sa.ForeignKey("stock_documents.id"), primary_key=True),
    sa.Column("sku", sa.String(64), primary_key=True),
    sa.Column("counted_micro", sa.BigInteger, nullable=False),
    sa.Column("book_micro", sa.BigInteger, nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),
)

counters = sa.Table(
    "counters",
    metadata,
    sa.Column("name", sa.String(32), primary_key=True),
    sa.Column("value", sa.BigInteger, nullable=False),
)


# Tables kept in their own modules, defined on the same metadata (imported last:
# they import this module's names).
from possdk.storage import _schema_gifts, _schema_loyalty, _schema_outbox  # noqa: E402, F401

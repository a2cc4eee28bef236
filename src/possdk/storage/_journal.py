"""The journal: append-only, hash-chained per terminal, with perpetual grand totals.

Every committed business operation adds one entry. An entry's hash is the
SHA-256 of its header fields and its canonical JSON payload, and each entry
names the hash of the previous entry of the same terminal, so editing,
deleting, inserting or reordering entries breaks the chain where it happened.
"""

from __future__ import annotations

import enum
import hashlib
import json
import uuid
from collections.abc import Iterable, Iterator
from datetime import datetime

import attrs

__all__ = [
    "GENESIS",
    "JournalEntry",
    "JournalProblem",
    "JournalReport",
    "ProblemKind",
    "entry_hash",
    "verify_entries",
]

GENESIS = "0" * 64
"""The ``prev_hash`` of a terminal's first entry."""


@attrs.frozen
class JournalEntry:
    """One committed operation, as kept in the journal."""

    id: uuid.UUID
    """A UUIDv7, unique across every terminal (the key for shipping it exactly once)."""
    terminal_id: str
    """The terminal (register) it belongs to; ``"@store"`` for store-wide changes."""
    seq: int
    """1, 2, 3, ... per terminal, without gaps."""
    at: datetime
    """When it was committed (UTC)."""
    type: str
    """The event type, e.g. ``"SaleCompleted"``."""
    amount_minor: int
    """The amount it adds to the grand totals, in minor units (0 for most types)."""
    payload: str
    """The event as canonical JSON."""
    gt_sales_minor: int
    """Perpetual total of sales on this terminal after this entry; never reset."""
    gt_returns_minor: int
    """Perpetual total of returns (positive) on this terminal after this entry."""
    prev_hash: str
    """The hash of the previous entry of this terminal (``GENESIS`` for the first)."""
    hash: str
    """SHA-256 of this entry's header and payload."""
    signature: str | None = None
    """A fiscal signer's signature, when a ``possdk_journal_sign`` plugin gave one."""


def entry_hash(
    *,
    id: uuid.UUID,
    terminal_id: str,
    seq: int,
    at: datetime,
    type: str,
    amount_minor: int,
    payload: str,
    gt_sales_minor: int,
    gt_returns_minor: int,
    prev_hash: str,
) -> str:
    """The SHA-256 (hex) of an entry over its canonical serialisation."""
    header = json.dumps(
        [
            str(id),
            terminal_id,
            seq,
            at.isoformat(timespec="microseconds"),
            type,
            amount_minor,
            gt_sales_minor,
            gt_returns_minor,
            prev_hash,
        ],
        separators=(",", ":"),
        ensure_ascii=False,
    )
    digest = hashlib.sha256(header.encode("utf-8"))
    digest.update(b"\n")
    digest.update(payload.encode("utf-8"))
    return digest.hexdigest()


SALE_TYPES = frozenset({"SaleCompleted"})
RETURN_TYPES = frozenset({"ReturnCompleted"})


class ProblemKind(enum.Enum):
    """What is wrong with the journal at an entry."""

    EDITED = "edited"
    """The entry's content no longer matches its hash."""
    DELETED = "deleted"
    """One or more entries before this one are missing."""
    INSERTED = "inserted"
    """An entry that was not in the chain was put in."""
    REORDERED = "reordered"
    """Entries were swapped or moved."""
    TRUNCATED = "truncated"
    """Entries at the end are missing (the terminal's head says there were more)."""
    TOTALS = "totals"
    """The grand totals do not add up to the entries' amounts."""


@attrs.frozen
class JournalProblem:
    """The first thing found wrong in one terminal's chain."""

    terminal_id: str
    """The terminal."""
    seq: int
    """The sequence number where it shows."""
    kind: ProblemKind
    """Edited, deleted, inserted, reordered, truncated, or totals."""
    message: str
    """What was found, in words."""


@attrs.frozen
class JournalReport:
    """The result of verifying a journal."""

    entries: int
    """Entries read."""
    terminals: tuple[str, ...]
    """Terminals seen."""
    problems: tuple[JournalProblem, ...]
    """The first problem of each broken terminal; empty when all is well."""

    @property
    def ok(self) -> bool:
        """True when every chain verifies and every grand total adds up."""
        return not self.problems

    def as_text(self) -> str:
        """A short human summary."""
        if self.ok:
            return (
                f"journal OK: {self.entries} entries on {len(self.terminals)} terminal(s), "
                f"chains and grand totals verified"
            )
        lines = [f"journal BROKEN: {len(self.problems)} terminal(s) with problems"]
        lines += [f"  {p.terminal_id} #{p.seq}: {p.kind.value}: {p.message}" for p in self.problems]
        return "\n".join(lines)


def _amount_in_payload(entry: JournalEntry) -> int | None:
    """The receipt total an entry's payload states, in minor units, for sales and returns."""
    if entry.type not in SALE_TYPES and entry.type not in RETURN_TYPES:
        return None
    try:
        data = json.loads(entry.payload)
        total = data["receipt"]["totals"]["total"]
        from possdk.core import Money

        return abs(Money(total["amount"], total["currency"]).minor)
    except (ValueError, KeyError, TypeError):
        return -1


def verify_entries(
    entries: Iterable[JournalEntry], heads: dict[str, tuple[int, str, int, int]]
) -> JournalReport:
    """Check chains, hashes, sequence numbers and grand totals.

    Args:
        entries: every entry, ordered by terminal and sequence number.
        heads: per terminal, the (seq, hash, gt_sales, gt_returns) of its newest entry as
            recorded in the heads table.
    """
    problems: list[JournalProblem] = []
    count = 0
    terminals: list[str] = []
    for terminal, chain in _by_terminal(entries):
        terminals.append(terminal)
        count += len(chain)
        problem = _verify_chain(terminal, chain, heads.get(terminal))
        if problem is not None:
            problems.append(problem)
    for terminal in heads:
        if terminal not in terminals:
            terminals.append(terminal)
            seq = heads[terminal][0]
            problems.append(
                JournalProblem(
                    terminal,
                    1,
                    ProblemKind.TRUNCATED,
                    f"the head says {seq} entries, none are left",
                )
            )
    return JournalReport(count, tuple(terminals), tuple(problems))


def _by_terminal(entries: Iterable[JournalEntry]) -> Iterator[tuple[str, list[JournalEntry]]]:
    current: str | None = None
    chain: list[JournalEntry] = []
    for e in entries:
        if e.terminal_id != current:
            if current is not None:
                yield current, chain
            current, chain = e.terminal_id, []
        chain.append(e)
    if current is not None:
        yield current, chain


def _rehash(e: JournalEntry, seq: int) -> str:
    return entry_hash(
        id=e.id,
        terminal_id=e.terminal_id,
        seq=seq,
        at=e.at,
        type=e.type,
        amount_minor=e.amount_minor,
        payload=e.payload,
        gt_sales_minor=e.gt_sales_minor,
        gt_returns_minor=e.gt_returns_minor,
        prev_hash=e.prev_hash,
    )


_WINDOW = 64
"""How far from its place a renumbered entry is looked for."""


def _original_seq(e: JournalEntry) -> int | None:
    """The sequence number an entry's hash was made with, if not its own (within the window)."""
    for k in range(1, _WINDOW + 1):
        for candidate in (e.seq - k, e.seq + k):
            if candidate >= 1 and _rehash(e, candidate) == e.hash:
                return candidate
    return None


def _verify_chain(
    terminal: str, chain: list[JournalEntry], head: tuple[int, str, int, int] | None
) -> JournalProblem | None:
    earlier: set[str] = set()
    prev_hash = GENESIS
    expected_seq = 1
    gt_sales = gt_returns = 0

    def problem(seq: int, kind: ProblemKind, message: str) -> JournalProblem:
        return JournalProblem(terminal, seq, kind, message)

    for index, e in enumerate(chain):
        if e.seq > expected_seq:
            gap = (
                f"entry {expected_seq} is"
                if e.seq == expected_seq + 1
                else f"entries {expected_seq}-{e.seq - 1} are"
            )
            return problem(expected_seq, ProblemKind.DELETED, f"{gap} missing")
        if e.seq < expected_seq:
            return problem(e.seq, ProblemKind.INSERTED, f"sequence number {e.seq} appears twice")
        if _rehash(e, e.seq) != e.hash:
            # A renumbered entry still hashes right under its old number: that
            # tells a deletion, an insertion or a move from an edit.
            true_seq = _original_seq(e)
            if true_seq is None:
                return problem(e.seq, ProblemKind.EDITED, "its content does not match its hash")
            if true_seq < e.seq:
                span = f"{true_seq}" if true_seq == e.seq - 1 else f"{true_seq}-{e.seq - 1}"
                return problem(
                    true_seq,
                    ProblemKind.INSERTED,
                    f"entries {span} were put in; the genuine entry {true_seq} now sits at {e.seq}",
                )
            following = chain[index + 1 : index + 1 + _WINDOW]
            if any((s := _original_seq(x)) is not None and s < x.seq for x in following):
                return problem(
                    e.seq,
                    ProblemKind.REORDERED,
                    f"entry {true_seq} was moved here; entries were reordered",
                )
            span = f"{e.seq}" if true_seq == e.seq + 1 else f"{e.seq}-{true_seq - 1}"
            return problem(
                e.seq, ProblemKind.DELETED, f"entries {span} were removed and the rest renumbered"
            )
        if e.prev_hash != prev_hash:
            later_hashes = {x.hash for x in chain[index + 1 :]}
            if e.prev_hash in later_hashes:
                return problem(e.seq, ProblemKind.REORDERED, "entries were moved or swapped here")
            if e.prev_hash in earlier:
                return problem(
                    e.seq - 1,
                    ProblemKind.INSERTED,
                    "an entry that was not in the chain was put in here",
                )
            return problem(
                e.seq - 1,
                ProblemKind.EDITED,
                "the next entry no longer follows it: it was changed and re-hashed or replaced",
            )
        amount = _amount_in_payload(e)
        if amount is not None and amount != e.amount_minor:
            return problem(e.seq, ProblemKind.TOTALS, "its amount differs from its receipt's total")
        if e.type in SALE_TYPES:
            gt_sales += e.amount_minor
        elif e.type in RETURN_TYPES:
            gt_returns += e.amount_minor
        if (e.gt_sales_minor, e.gt_returns_minor) != (gt_sales, gt_returns):
            return problem(
                e.seq,
                ProblemKind.TOTALS,
                f"grand totals {e.gt_sales_minor}/{e.gt_returns_minor} should be "
                f"{gt_sales}/{gt_returns} by the sum of the entries",
            )
        earlier.add(prev_hash)
        prev_hash = e.hash
        expected_seq += 1
    if head is not None:
        head_seq, head_hash, head_sales, head_returns = head
        last_seq = expected_seq - 1
        if head_seq > last_seq:
            return problem(
                last_seq + 1,
                ProblemKind.TRUNCATED,
                f"the head says {head_seq} entries but the chain ends at {last_seq}",
            )
        if head_seq < last_seq:
            return problem(
                head_seq + 1,
                ProblemKind.INSERTED,
                f"entries after {head_seq}, the newest the head recorded, were added",
            )
        if head_hash != prev_hash:
            return problem(last_seq, ProblemKind.EDITED, "the newest entry is not the one recorded")
        if (head_sales, head_returns) != (gt_sales, gt_returns):
            return problem(
                last_seq, ProblemKind.TOTALS, "the head's grand totals differ from the entries'"
            )
    return None

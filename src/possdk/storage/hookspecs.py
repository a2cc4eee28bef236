"""Hook specifications of the storage area: backends and journal signers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from possdk._hooks import hookspec

if TYPE_CHECKING:
    from possdk.storage._backend import StorageBackend
    from possdk.storage._journal import JournalEntry
    from possdk.storage._url import StoreURL

# ---- backends ----------------------------------------------------------------


@hookspec(firstresult=True)
def possdk_storage_backend(url: StoreURL) -> StorageBackend | None:
    """Return a backend for ``url``, or None if this plugin does not serve its scheme.

    Called once by ``Store.open``. The built-in plugin serves ``sqlite`` and
    ``postgresql``. Stops at the first non-None result.
    """


# ---- journal -----------------------------------------------------------------


@hookspec(firstresult=True)
def possdk_journal_sign(entry: JournalEntry) -> str | None:
    """Return a signature for a journal entry about to be written, or None.

    Called inside the entry's own transaction, after its hash is computed and
    before it is written; the signature is stored with the entry, and if this
    raises, the whole operation is rolled back (a fiscal device that cannot
    sign must stop the sale). It may be called again for the same
    ``entry.id`` when a transaction is retried after a serialization
    failure, so a signer must be idempotent per entry id. Stops at the first
    non-None result.
    """

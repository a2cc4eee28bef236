"""``store.loyalty.promotions``: the store's active promotions and their engine.

Promotions are kept in the store's database as one data document (the
JSON :func:`dump_promotions` writes), so every till that opens the store
sells with the same promotions; the engine is rebuilt when they change and
used on every re-price through the promotion hook.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from possdk.errors import PluginError
from possdk.loyalty._promo_data import (
    CONDITION_TYPES,
    dump_promotions,
    load_promotions,
)
from possdk.loyalty._promo_engine import Evaluation, PromotionEngine
from possdk.loyalty._promo_model import Condition, InvalidPromotionError, Promotion

if TYPE_CHECKING:
    from possdk._store import Store
    from possdk.core import Basket, PromotionDiscount

__all__ = ["Promotions"]

_SETTING = "promotions"  # the settings row that keeps them, as one JSON document


class Promotions:
    """The store's active promotions: add, remove, load, and evaluate a basket.

    ``store.loyalty.promotions.load(text, format="yaml")``. Every sale is
    re-priced with them automatically; :meth:`evaluate` shows what the
    engine decides for a basket (which promotion applied to which lines).
    Every change is kept in the store's database at once (and journaled);
    a till that opens the store later starts with them, and
    :meth:`refresh` picks up what another till changed meanwhile. A
    promotion whose custom condition has no data form can still be added
    with ``keep=False``: it then lives in this process only.
    """

    def __init__(self, store: Store) -> None:
        self._store = store
        self._promotions: dict[str, Promotion] = {}
        self._transient: set[str] = set()  # added with keep=False: not in the database
        self._engine: PromotionEngine | None = None
        self._loaded = False

    def _ensure_loaded(self) -> None:
        if not self._loaded:
            self._loaded = True
            self.refresh()

    def refresh(self) -> None:
        """Read the promotions kept in the database again (another till may have changed them).

        Promotions added here with ``keep=False`` stay.
        """
        text = self._store._read(lambda uow: uow.get_setting(_SETTING))
        kept = (
            [] if text is None else load_promotions(text, "json", conditions=self.condition_types())
        )
        mine = {pid: self._promotions[pid] for pid in self._transient if pid in self._promotions}
        self._promotions = {p.id: p for p in kept}
        self._promotions.update(mine)
        self._engine = None

    def _commit(self, promotions: dict[str, Promotion], transient: set[str]) -> None:
        """Keep the new set in the database first, then use it."""
        lasting = [p for pid, p in promotions.items() if pid not in transient]
        document = dump_promotions(
            sorted(lasting, key=lambda p: p.id), "json", conditions=self.condition_types()
        )
        self._store._save_setting(_SETTING, document, "PromotionsChanged")
        self._promotions = promotions
        self._transient = transient
        self._engine = None

    # ---- the set of promotions ----------------------------------------------------

    def add(self, promotion: Promotion, *, replace: bool = False, keep: bool = True) -> None:
        """Make a promotion active (and keep it in the database unless ``keep=False``).

        Raises:
            InvalidPromotionError: a promotion with its id is already active
                and ``replace`` is false.
            PromotionDataError: a custom condition has no data form to keep
                (name it through the ``possdk_promotion_conditions`` hook, or
                pass ``keep=False``).
        """
        self.add_all([promotion], replace=replace, keep=keep)

    def add_all(
        self, promotions: Iterable[Promotion], *, replace: bool = False, keep: bool = True
    ) -> None:
        """Add several promotions at once; none is added if one is refused."""
        self._ensure_loaded()
        batch = list(promotions)
        for p in batch:
            if not isinstance(p, Promotion):
                raise TypeError(f"expected a Promotion, got {type(p).__name__}")
        ids = [p.id for p in batch]
        for pid in ids:
            if ids.count(pid) > 1:
                raise InvalidPromotionError("id", f"two promotions have the id {pid!r}")
            if pid in self._promotions and not replace:
                raise InvalidPromotionError(
                    "id",
                    f"a promotion {pid!r} is already active; remove it first or pass replace=True",
                )
        new = dict(self._promotions)
        transient = set(self._transient)
        for p in batch:
            new[p.id] = p
            if keep:
                transient.discard(p.id)
            else:
                transient.add(p.id)
        self._commit(new, transient)

    def remove(self, promotion_id: str) -> Promotion:
        """Stop a promotion; returns it.

        Raises:
            KeyError: no active promotion has this id.
        """
        self._ensure_loaded()
        if promotion_id not in self._promotions:
            raise KeyError(f"no active promotion has the id {promotion_id!r}")
        new = dict(self._promotions)
        promotion = new.pop(promotion_id)
        self._commit(new, self._transient - {promotion_id})
        return promotion

    def clear(self) -> None:
        """Stop every promotion."""
        self._ensure_loaded()
        self._commit({}, set())

    def get(self, promotion_id: str) -> Promotion:
        """The active promotion with this id.

        Raises:
            KeyError: no active promotion has this id.
        """
        self._ensure_loaded()
        try:
            return self._promotions[promotion_id]
        except KeyError:
            raise KeyError(f"no active promotion has the id {promotion_id!r}") from None

    def all(self) -> tuple[Promotion, ...]:
        """Every active promotion, highest priority first (ties by id)."""
        return self.engine.promotions

    def load(
        self,
        text: str,
        format: str = "json",
        *,
        replace: bool = False,
    ) -> list[Promotion]:
        """Add the promotions of a JSON or YAML document; returns them.

        Custom condition types come from the plugins' ``possdk_promotion_conditions``
        hook. Nothing is added if anything in the document is wrong.

        Raises:
            PromotionDataError: the document has problems; each names its field.
            InvalidPromotionError: an id is already active and ``replace`` is false.
            PluginError: two plugins contribute a condition type of the same name.
        """
        promotions = load_promotions(text, format, conditions=self.condition_types())
        self.add_all(promotions, replace=replace)
        return promotions

    def dump(self, format: str = "json") -> str:
        """The active promotions as a JSON or YAML document :meth:`load` reads back."""
        return dump_promotions(self.all(), format, conditions=self.condition_types())

    def condition_types(self) -> dict[str, Callable[..., Condition]]:
        """Custom condition types the plugins contribute, by name.

        Raises:
            PluginError: a name clashes with a built-in type or another plugin's.
        """
        found: dict[str, Callable[..., Condition]] = {}
        batches: list[dict[str, Any]] = self._store.plugins.hook.possdk_promotion_conditions()
        for batch in batches:
            for name, factory in batch.items():
                if name in CONDITION_TYPES:
                    raise PluginError(
                        f"a plugin contributes the promotion condition {name!r}, "
                        f"which is a built-in condition type; choose another name"
                    )
                if name in found and found[name] is not factory:
                    raise PluginError(
                        f"two plugins contribute the promotion condition {name!r} "
                        f"({found[name]!r} and {factory!r}); rename one"
                    )
                found[name] = factory
        return found

    # ---- evaluation ---------------------------------------------------------------

    @property
    def engine(self) -> PromotionEngine:
        """The engine for the active promotions, in the store's time zone (cached)."""
        self._ensure_loaded()
        zone = self._store.settings.timezone
        engine = self._engine
        if engine is None or engine.timezone != zone:
            engine = self._engine = PromotionEngine(self._promotions.values(), timezone=zone)
        return engine

    def evaluate(self, basket: Basket) -> Evaluation:
        """What the active promotions give a basket: discounts, points, the explanation."""
        return self.engine.evaluate(basket)

    def _discounts(self, basket: Basket) -> list[PromotionDiscount]:
        """The per-line discounts for the promotion hook (empty with no promotions)."""
        self._ensure_loaded()
        if not self._promotions:
            return []
        return list(self.engine.evaluate(basket).discounts)

"""Promotions as data: JSON or YAML in, validated promotions out, and back.

A document is a list of promotions, or a mapping with a ``promotions`` list.
Every problem is collected and reported with the path of its field, e.g.
``promotions[3].benefit.percent: must be more than 0 and at most 100, got 120``,
so a merchant can fix a file in one go. Amounts and percentages are exact:
numbers in the text become ``Decimal`` without passing through ``float``.
"""

from __future__ import annotations

import enum
import functools
import importlib
import json
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import date, time
from decimal import Decimal
from typing import Any

import attrs

from possdk.core._money import to_decimal
from possdk.errors import (
    PossdkError,
    PromotionDataError,
)
from possdk.loyalty._promo_model import (
    AmountOff,
    BundlePrice,
    BuyXGetY,
    Channel,
    Choose,
    Condition,
    CouponPresent,
    CustomerTier,
    DateRange,
    ExtraPoints,
    InvalidPromotionError,
    ItemsInCart,
    MinimumSpend,
    PercentOff,
    Promotion,
    Schedule,
    SpendThresholdReward,
    Stacking,
    TimeOfDay,
)

__all__ = [
    "BENEFIT_TYPES",
    "CONDITION_TYPES",
    "PromotionDataError",
    "dump_promotions",
    "load_promotions",
    "promotion_to_data",
    "promotions_from_data",
]

ConditionFactory = Callable[..., Condition]
"""What the ``possdk_promotion_conditions`` hook maps a name to: usually the class."""


CONDITION_TYPES: dict[str, type[Any]] = {
    "items_in_cart": ItemsInCart,
    "minimum_spend": MinimumSpend,
    "customer_tier": CustomerTier,
    "coupon": CouponPresent,
    "time_of_day": TimeOfDay,
    "date_range": DateRange,
    "channel": Channel,
}
"""The built-in condition types by the name data uses for them."""

BENEFIT_TYPES: dict[str, type[Any]] = {
    "percent_off": PercentOff,
    "amount_off": AmountOff,
    "bundle_price": BundlePrice,
    "buy_x_get_y": BuyXGetY,
    "spend_threshold": SpendThresholdReward,
    "extra_points": ExtraPoints,
}
"""The benefit types by the name data uses for them."""

_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_PROMOTION_FIELDS = (
    "id",
    "name",
    "benefit",
    "conditions",
    "schedule",
    "stacking",
    "priority",
    "max_applications",
    "description",
)


class _Bad(Exception):
    """One field's problem, raised by a field parser and turned into a (path, message)."""


# ---- field parsers: raw JSON/YAML value -> model value --------------------------------


def _decimal(value: object) -> Decimal:
    if isinstance(value, float):
        raise _Bad(f"got the float {value!r}; write it as a string like '{value!r}'")
    try:
        return to_decimal(value, "value")
    except (TypeError, ValueError) as exc:
        raise _Bad(f"must be a number, got {value!r}") from exc


def _int(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        raise _Bad(f"must be a whole number, got {value!r}")
    if isinstance(value, Decimal):
        if value != value.to_integral_value():
            raise _Bad(f"must be a whole number, got {value}")
        return int(value)
    return value


def _optional_int(value: object) -> int | None:
    return None if value is None else _int(value)


def _bool(value: object) -> bool:
    if not isinstance(value, bool):
        raise _Bad(f"must be true or false, got {value!r}")
    return value


def _str(value: object) -> str:
    if not isinstance(value, str):
        raise _Bad(f"must be a string, got {value!r}")
    return value


def _names(value: object) -> frozenset[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple, set, frozenset)):
        raise _Bad(f"must be a list of names, got {value!r}")
    for item in value:
        if not isinstance(item, str) or not item.strip():
            raise _Bad(f"must be a list of non-empty names, got {item!r}")
    return frozenset(value)


_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?$")


def _time(value: object) -> time:
    if isinstance(value, time):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        raise _Bad(f"must be a time like '17:00' in quotes, got the number {value}")
    if not isinstance(value, str) or not (m := _TIME.match(value.strip())):
        raise _Bad(f"must be a time like '17:00' or '17:00:30', got {value!r}")
    return time(int(m[1]), int(m[2]), int(m[3] or 0))


def _date(value: object) -> date:
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        raise _Bad(f"must be a date like '2026-12-31', got {value!r}")
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise _Bad(f"must be a date like '2026-12-31', got {value!r}") from None


def _optional_date(value: object) -> date | None:
    return None if value is None else _date(value)


def _weekdays(value: object) -> frozenset[int]:
    if isinstance(value, (str, int)):
        value = [value]
    if not isinstance(value, (list, tuple, set, frozenset)):
        raise _Bad(f"must be a list of weekdays like ['mon', 'fri'], got {value!r}")
    days: set[int] = set()
    for item in value:
        if isinstance(item, str) and item.strip().lower()[:3] in _WEEKDAYS:
            days.add(_WEEKDAYS.index(item.strip().lower()[:3]) + 1)
        elif isinstance(item, int) and not isinstance(item, bool) and 1 <= item <= 7:
            days.add(item)
        else:
            raise _Bad(f"must be weekdays 'mon' to 'sun' (or 1 to 7), got {item!r}")
    return frozenset(days)


def _enum(kind: type[enum.Enum]) -> Callable[[object], Any]:
    def parse(value: object) -> Any:
        for member in kind:
            if value == member.value:
                return member
        choices = ", ".join(repr(m.value) for m in kind)
        raise _Bad(f"must be one of {choices}, got {value!r}")

    return parse


_FIELDS: dict[str, Callable[[object], Any]] = {
    "percent": _decimal,
    "amount": _decimal,
    "price": _decimal,
    "threshold": _decimal,
    "min_quantity": _decimal,
    "skus": _names,
    "categories": _names,
    "tiers": _names,
    "channels": _names,
    "quantity": _int,
    "buy": _int,
    "get": _int,
    "points": _int,
    "per_unit": _bool,
    "choose": _enum(Choose),
    "code": _str,
    "weekdays": _weekdays,
}
_CLASS_FIELDS: dict[tuple[type[Any], str], Callable[[object], Any]] = {
    (TimeOfDay, "start"): _time,
    (TimeOfDay, "end"): _time,
    (DateRange, "start"): _optional_date,
    (DateRange, "end"): _optional_date,
}


# ---- the reader ---------------------------------------------------------------------


class _Reader:
    def __init__(self, conditions: Mapping[str, ConditionFactory]) -> None:
        self.problems: list[tuple[str, str]] = []
        self.conditions = conditions

    def bad(self, path: str, message: str) -> None:
        self.problems.append((path, message))

    def mapping(self, value: object, path: str) -> Mapping[str, Any] | None:
        if not isinstance(value, Mapping):
            self.bad(path, f"must be a mapping of fields, got {type(value).__name__}")
            return None
        return value

    def field(self, parse: Callable[[object], Any], value: object, path: str) -> Any:
        try:
            return parse(value)
        except _Bad as exc:
            self.bad(path, str(exc))
            return _MISSING

    def build(self, cls: Callable[..., Any], kwargs: dict[str, Any], path: str) -> Any:
        try:
            return cls(**kwargs)
        except InvalidPromotionError as exc:
            self.bad(f"{path}.{exc.field}", exc.reason)
        except PossdkError as exc:
            self.bad(path, str(exc))
        except (TypeError, ValueError) as exc:
            self.bad(path, str(exc))
        return _MISSING

    def typed(
        self,
        raw: object,
        path: str,
        types: Mapping[str, Callable[..., Any]],
        what: str,
    ) -> Any:
        data = self.mapping(raw, path)
        if data is None:
            return _MISSING
        name = data.get("type")
        if not isinstance(name, str) or name not in types:
            known = ", ".join(sorted(types))
            self.bad(f"{path}.type", f"unknown {what} type {name!r}; known: {known}")
            return _MISSING
        cls = types[name]
        fields = {k: v for k, v in data.items() if k != "type"}
        if not (isinstance(cls, type) and attrs.has(cls)) or name not in _BUILTIN_NAMES:
            return self.build(cls, fields, path)  # a plugin's condition converts its own fields
        allowed = {f.name for f in attrs.fields(cls)}
        kwargs: dict[str, Any] = {}
        ok = True
        for key, value in fields.items():
            if key not in allowed:
                self.bad(f"{path}.{key}", f"unknown field; {name} has {', '.join(sorted(allowed))}")
                ok = False
                continue
            parse = _CLASS_FIELDS.get((cls, key)) or _FIELDS.get(key, _identity)
            parsed = self.field(parse, value, f"{path}.{key}")
            if parsed is _MISSING:
                ok = False
            else:
                kwargs[key] = parsed
        missing = [
            f.name for f in attrs.fields(cls) if f.default is attrs.NOTHING and f.name not in kwargs
        ]
        if ok and missing:
            for key in missing:
                self.bad(f"{path}.{key}", "is required")
            return _MISSING
        return self.build(cls, kwargs, path) if ok else _MISSING

    def schedule(self, raw: object, path: str) -> Any:
        data = self.mapping(raw, path)
        if data is None:
            return _MISSING
        ok = True
        for key in data:
            if key not in ("start", "end", "hours"):
                self.bad(f"{path}.{key}", "unknown field; a schedule has start, end, hours")
                ok = False
        start = self.field(_optional_date, data.get("start"), f"{path}.start")
        end = self.field(_optional_date, data.get("end"), f"{path}.end")
        hours_raw = data.get("hours", [])
        hours: list[TimeOfDay] = []
        if not isinstance(hours_raw, list):
            self.bad(f"{path}.hours", "must be a list of time windows")
            ok = False
        else:
            for i, window in enumerate(hours_raw):
                item = self.typed(
                    {"type": "time_of_day", **window} if isinstance(window, Mapping) else window,
                    f"{path}.hours[{i}]",
                    {"time_of_day": TimeOfDay},
                    "time window",
                )
                if item is _MISSING:
                    ok = False
                else:
                    hours.append(item)
        if not ok or start is _MISSING or end is _MISSING:
            return _MISSING
        dates = self.build(DateRange, {"start": start, "end": end}, path)
        if dates is _MISSING:
            return _MISSING
        return Schedule(dates, tuple(hours))

    def promotion(self, raw: object, path: str) -> Promotion | None:
        data = self.mapping(raw, path)
        if data is None:
            return None
        before = len(self.problems)
        for key in data:
            if key not in _PROMOTION_FIELDS:
                self.bad(
                    f"{path}.{key}",
                    f"unknown field; a promotion has {', '.join(_PROMOTION_FIELDS)}",
                )
        kwargs: dict[str, Any] = {}
        for key in ("id", "name", "benefit"):
            if key not in data:
                self.bad(f"{path}.{key}", "is required")
        if "id" in data:
            kwargs["id"] = self.field(_str, data["id"], f"{path}.id")
        if "name" in data:
            kwargs["name"] = self.field(_str, data["name"], f"{path}.name")
        if "description" in data:
            kwargs["description"] = self.field(_str, data["description"], f"{path}.description")
        if "benefit" in data:
            kwargs["benefit"] = self.typed(
                data["benefit"], f"{path}.benefit", BENEFIT_TYPES, "benefit"
            )
        conditions = data.get("conditions", [])
        if not isinstance(conditions, list):
            self.bad(f"{path}.conditions", "must be a list of conditions")
        else:
            types: dict[str, Callable[..., Any]] = {**CONDITION_TYPES, **self.conditions}
            kwargs["conditions"] = tuple(
                self.typed(c, f"{path}.conditions[{i}]", types, "condition")
                for i, c in enumerate(conditions)
            )
        if "schedule" in data:
            kwargs["schedule"] = self.schedule(data["schedule"], f"{path}.schedule")
        if "stacking" in data:
            kwargs["stacking"] = self.field(_enum(Stacking), data["stacking"], f"{path}.stacking")
        if "priority" in data:
            kwargs["priority"] = self.field(_int, data["priority"], f"{path}.priority")
        if "max_applications" in data:
            kwargs["max_applications"] = self.field(
                _optional_int, data["max_applications"], f"{path}.max_applications"
            )
        if len(self.problems) > before:
            return None
        result = self.build(Promotion, kwargs, path)
        return None if result is _MISSING else result


_MISSING: Any = object()
_BUILTIN_NAMES = frozenset(CONDITION_TYPES) | frozenset(BENEFIT_TYPES) | {"time_of_day"}


def _identity(value: object) -> object:
    return value


def promotions_from_data(
    obj: object, *, conditions: Mapping[str, ConditionFactory] | None = None
) -> list[Promotion]:
    """Build promotions from parsed JSON or YAML: a list, or ``{"promotions": [...]}``.

    Args:
        obj: the parsed document.
        conditions: custom condition types by name (from the
            ``possdk_promotion_conditions`` hook); each is called with the
            condition's fields (all but ``type``) as keyword arguments.

    Raises:
        PromotionDataError: anything is wrong; every problem names its field.
    """
    reader = _Reader(conditions or {})
    items = obj.get("promotions") if isinstance(obj, Mapping) else obj
    if isinstance(obj, Mapping) and set(obj) - {"promotions"}:
        for key in sorted(set(obj) - {"promotions"}):
            reader.bad(key, "unknown field; the document has only 'promotions'")
    if not isinstance(items, list):
        raise PromotionDataError(
            [("promotions", "must be a list of promotions (or a mapping with one)")]
        )
    result: list[Promotion] = []
    seen: dict[str, int] = {}
    for i, raw in enumerate(items):
        path = f"promotions[{i}]"
        promotion = reader.promotion(raw, path)
        if promotion is None:
            continue
        if promotion.id in seen:
            reader.bad(
                f"{path}.id",
                f"{promotion.id!r} is already used by promotions[{seen[promotion.id]}]",
            )
            continue
        seen[promotion.id] = i
        result.append(promotion)
    if reader.problems:
        raise PromotionDataError(reader.problems)
    return result


# ---- text formats ---------------------------------------------------------------------


def _yaml() -> Any:
    # PyYAML ships without type hints; imported lazily so ``import possdk`` stays light
    return importlib.import_module("yaml")


@functools.cache
def _yaml_loader() -> type[Any]:
    yaml = _yaml()

    # YAML 1.1 without its surprises: no base-60 ints (17:00), exact decimals
    loader: Any = type("PromotionLoader", (yaml.SafeLoader,), {})
    int_tag, float_tag = "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"
    loader.yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers if tag not in (int_tag, float_tag)]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    loader.add_implicit_resolver(
        int_tag, re.compile(r"^[-+]?(?:0|[1-9][0-9_]*)$"), list("-+0123456789")
    )
    loader.add_implicit_resolver(
        float_tag,
        re.compile(r"^[-+]?(?:[0-9][0-9_]*)?\.[0-9_]+(?:[eE][-+]?[0-9]+)?$"),
        list("-+0123456789."),
    )

    def construct_decimal(loader: Any, node: Any) -> Decimal:
        return Decimal(str(loader.construct_scalar(node)).replace("_", ""))

    loader.add_constructor(float_tag, construct_decimal)
    return loader  # type: ignore[no-any-return]


def load_promotions(
    text: str,
    format: str = "json",
    *,
    conditions: Mapping[str, ConditionFactory] | None = None,
) -> list[Promotion]:
    """Parse a JSON or YAML document of promotions.

    Numbers become ``Decimal`` exactly; in YAML, write times in quotes or
    not (``17:00`` is a time here, not YAML 1.1's base-60 number 1020).

    Raises:
        PromotionDataError: the text does not parse, or a promotion is invalid.
    """
    if format == "json":
        try:
            obj = json.loads(text, parse_float=Decimal)
        except json.JSONDecodeError as exc:
            raise PromotionDataError(
                [("<document>", f"not valid JSON: {exc.msg} at line {exc.lineno}")]
            ) from exc
    elif format == "yaml":
        yaml = _yaml()

        try:
            obj = yaml.load(text, Loader=_yaml_loader())
        except yaml.YAMLError as exc:
            raise PromotionDataError([("<document>", f"not valid YAML: {exc}")]) from exc
    else:
        raise PromotionDataError([("<format>", f"must be 'json' or 'yaml', got {format!r}")])
    return promotions_from_data(obj, conditions=conditions)


# ---- back to data ---------------------------------------------------------------------


def _plain(value: object, name: str) -> object:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, time):
        return value.isoformat("seconds" if value.second else "minutes")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (set, frozenset)):
        if name == "weekdays":
            return [_WEEKDAYS[d - 1] for d in sorted(value)]
        return sorted(value)
    return value


def _fields(obj: Any) -> dict[str, object]:
    out: dict[str, object] = {}
    for f in attrs.fields(type(obj)):
        value = getattr(obj, f.name)
        default = f.default
        if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
            default = default.factory()
        if default is not attrs.NOTHING:
            try:
                if f.converter is not None and not isinstance(default, type(value)):
                    default = f.converter(default)
            except Exception:
                default = attrs.NOTHING
            if value == default:
                continue
        out[f.name] = _plain(value, f.name)
    return out


def _typed(obj: object, types: Mapping[str, Any], what: str) -> dict[str, object]:
    for name, cls in types.items():
        if type(obj) is cls:
            if not attrs.has(cls):
                break
            return {"type": name, **_fields(obj)}
    raise PromotionDataError(
        [
            (
                what,
                f"{type(obj).__name__} has no data form: give it a name with the "
                f"possdk_promotion_conditions hook and make it an attrs class",
            )
        ]
    )


def promotion_to_data(
    promotion: Promotion, *, conditions: Mapping[str, ConditionFactory] | None = None
) -> dict[str, Any]:
    """The data form of a promotion, as :func:`promotions_from_data` reads it.

    Only fields that differ from their defaults are written. Custom
    conditions need their name in ``conditions`` and must be attrs classes.

    Raises:
        PromotionDataError: a custom condition cannot be written as data.
    """
    data: dict[str, Any] = {"id": promotion.id, "name": promotion.name}
    if promotion.description:
        data["description"] = promotion.description
    data["benefit"] = _typed(promotion.benefit, BENEFIT_TYPES, "benefit")
    if promotion.conditions:
        types = {**CONDITION_TYPES, **(conditions or {})}
        data["conditions"] = [_typed(c, types, "conditions") for c in promotion.conditions]
    schedule = promotion.schedule
    if not schedule.always:
        s: dict[str, Any] = {}
        if schedule.dates.start is not None:
            s["start"] = schedule.dates.start.isoformat()
        if schedule.dates.end is not None:
            s["end"] = schedule.dates.end.isoformat()
        if schedule.hours:
            s["hours"] = [_fields(h) for h in schedule.hours]
        data["schedule"] = s
    if promotion.stacking is not Stacking.STACKABLE:
        data["stacking"] = promotion.stacking.value
    if promotion.priority:
        data["priority"] = promotion.priority
    if promotion.max_applications is not None:
        data["max_applications"] = promotion.max_applications
    return data


def dump_promotions(
    promotions: Iterable[Promotion],
    format: str = "json",
    *,
    conditions: Mapping[str, ConditionFactory] | None = None,
) -> str:
    """Write promotions as a JSON or YAML document that :func:`load_promotions` reads back."""
    doc = {"promotions": [promotion_to_data(p, conditions=conditions) for p in promotions]}
    if format == "json":
        return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    if format == "yaml":
        yaml = _yaml()

        return str(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True))
    raise PromotionDataError([("<format>", f"must be 'json' or 'yaml', got {format!r}")])

"""`where` and `asOf` arguments as SQL conditions, mirroring `schema/inputs/*` exactly.

Arguments arrive as graphql-core coerced them: dicts keyed by GraphQL names, enum members and
dates. Conditions are SQL text over a table alias; values are bind parameters.
"""

from collections.abc import Callable
from datetime import date
from enum import Enum
from typing import Any

from schema.compiled.sql import Params
from schema.filters import is_government_key

Filter = dict[str, Any] | None
Conditions = list[str]


def _null(column: str, given: dict[str, Any], params: Params) -> Conditions:
    # `isNull` is a SQL keyword pair, not a value: nothing to bind.
    is_null = given.get("isNull")
    if is_null is None:
        return []
    return [f"{column} IS NULL" if is_null else f"{column} IS NOT NULL"]


def _values(given: list[Any]) -> list[Any]:
    return [v.value if isinstance(v, Enum) else v for v in given]


def string(column: str, given: Filter, params: Params, sql_type: str = "text") -> Conditions:
    if given is None:
        return []
    conditions = _null(column, given, params)
    if given.get("eq") is not None:
        (eq,) = _values([given["eq"]])
        conditions.append(f"{column} = {params.add(eq, sql_type)}")
    if given.get("in") is not None:
        conditions.append(f"{column} = ANY({params.add(_values(given['in']), sql_type + '[]')})")
    return conditions


def enum(column: str, given: Filter, params: Params) -> Conditions:
    return string(column, given, params)


def day(column: str, given: Filter, params: Params) -> Conditions:
    if given is None:
        return []
    conditions = _null(column, given, params)
    for name, op in (("eq", "="), ("gte", ">="), ("lte", "<=")):
        if given.get(name) is not None:
            conditions.append(f"{column} {op} {params.add(given[name], 'date')}")
    return conditions


def _ids(table: str, key: str, values: list[str], params: Params) -> str:
    if len(values) == 1:
        # One value as a scalar, not a one-element array: with `= ANY($n)` PostgreSQL's cached
        # (generic) plan must guess how many rows the array matches, guesses ten, and prefers
        # scanning the whole fact table; `= $n` on a unique key is known to match at most one
        # row, so the generic plan walks the fact table's index on that key.
        return f"(SELECT id FROM {table} WHERE {key} = {params.add(values[0], 'text')})"
    return f"(SELECT id FROM {table} WHERE {key} = ANY({params.add(list(values), 'text[]')}))"


def state_ids(values: list[str], params: Params) -> str:
    return _ids("state", "iso3", values, params)


def government_ids(values: list[str], params: Params) -> str:
    return _ids("government", "key", values, params)


def person_ids(values: list[str], params: Params) -> str:
    return _ids("person", "key", values, params)


def area_ids(values: list[str], params: Params) -> str:
    return _ids("cooperation_area", "code", values, params)


def key_ref(
    column: str, ids: Callable[[list[str], Params], str], given: Filter, params: Params
) -> Conditions:
    """A foreign key filtered by the natural key of the row it points at."""
    if given is None:
        return []
    conditions = _null(column, given, params)
    if given.get("eq") is not None:
        conditions.append(f"{column} IN {ids([given['eq']], params)}")
    if given.get("in") is not None:
        conditions.append(f"{column} IN {ids(given['in'], params)}")
    return conditions


def _reference_in(
    state_column: str, government_column: str, references: list[str], params: Params, exact: bool
) -> str:
    isos = [r for r in references if not is_government_key(r)]
    keys = [r for r in references if is_government_key(r)]
    alternatives = []
    if isos:
        by_state = f"{state_column} IN {state_ids(isos, params)}"
        alternatives.append(f"({by_state} AND {government_column} IS NULL)" if exact else by_state)
    if keys:
        alternatives.append(f"{government_column} IN {government_ids(keys, params)}")
    return "(" + " OR ".join(alternatives) + ")" if alternatives else "false"


def reference(
    state_column: str, government_column: str, given: Filter, params: Params, *, exact: bool
) -> Conditions:
    if given is None:
        return []
    conditions = _null(state_column, given, params)
    for name in ("eq", "in"):
        if given.get(name) is not None:
            values = [given[name]] if name == "eq" else given[name]
            conditions.append(_reference_in(state_column, government_column, values, params, exact))
    return conditions


def in_force(t: str, as_of: date | None, params: Params) -> Conditions:
    return [] if as_of is None else [f"{t}.valid @> {params.add(as_of, 'date')}"]


def in_power(t: str, day_value: date, params: Params) -> str:
    return (
        f"EXISTS (SELECT 1 FROM government_period ip WHERE ip.government_id = {t}.id "
        f"AND ip.valid @> {params.add(day_value, 'date')})"
    )


# --- Per entity ----------------------------------------------------------------------------------


def state(t: str, where: Filter, as_of: date | None, params: Params) -> Conditions:
    if where is None:
        return []
    return [
        *string(f"{t}.iso3", where.get("iso3"), params),
        *string(f"{t}.name", where.get("name"), params),
        *enum(f"{t}.kind", where.get("kind"), params),
    ]


def government(t: str, where: Filter, as_of: date | None, params: Params) -> Conditions:
    conditions = [in_power(t, as_of, params)] if as_of is not None else []
    if where is not None:
        conditions += [
            *string(f"{t}.key", where.get("key"), params),
            *key_ref(f"{t}.state_id", state_ids, where.get("state"), params),
            *string(f"{t}.name", where.get("name"), params),
            *string(f"{t}.form", where.get("form"), params),
        ]
    return conditions


def person(t: str, where: Filter, as_of: date | None, params: Params) -> Conditions:
    if where is None:
        return []
    return [
        *string(f"{t}.key", where.get("key"), params),
        *string(f"{t}.name", where.get("name"), params),
        *key_ref(f"{t}.nationality_id", state_ids, where.get("nationality"), params),
    ]


def source(t: str, where: Filter, as_of: date | None, params: Params) -> Conditions:
    if where is None:
        return []
    return [
        *string(f"{t}.key", where.get("key"), params),
        *string(f"{t}.publisher", where.get("publisher"), params),
        *string(f"{t}.language", where.get("language"), params),
        *enum(f"{t}.kind", where.get("kind"), params),
        *enum(f"{t}.reliability", where.get("reliability"), params),
        *day(f"{t}.published_date", where.get("published"), params),
    ]


def recognition(t: str, where: Filter, as_of: date | None, params: Params) -> Conditions:
    conditions = in_force(t, as_of, params)
    if where is not None:
        conditions += [
            *string(f"{t}.key", where.get("key"), params),
            *reference(
                f"{t}.subject_state_id",
                f"{t}.subject_government_id",
                where.get("subject"),
                params,
                exact=True,
            ),
            *key_ref(f"{t}.subject_state_id", state_ids, where.get("subjectState"), params),
            *key_ref(f"{t}.recognizer_id", state_ids, where.get("recognizer"), params),
            *enum(f"{t}.type", where.get("type"), params),
            *enum(f"{t}.mode", where.get("mode"), params),
            *enum(f"{t}.act", where.get("act"), params),
            *enum(f"{t}.end_reason", where.get("endReason"), params),
            *enum(f"{t}.confidence", where.get("confidence"), params),
            *day(f"{t}.from_date", where.get("from"), params),
            *day(f"{t}.to_date", where.get("to"), params),
        ]
    return conditions


def envoy(t: str, where: Filter, as_of: date | None, params: Params) -> Conditions:
    conditions = in_force(t, as_of, params)
    if where is not None:
        conditions += [
            *string(f"{t}.key", where.get("key"), params),
            *key_ref(f"{t}.person_id", person_ids, where.get("person"), params),
            *reference(
                f"{t}.sender_state_id",
                f"{t}.sender_government_id",
                where.get("sender"),
                params,
                exact=False,
            ),
            *key_ref(f"{t}.receiver_id", state_ids, where.get("receiver"), params),
            *enum(f"{t}.rank", where.get("rank"), params),
            *day(f"{t}.appointed_date", where.get("appointed"), params),
            *day(f"{t}.credentials_copy_date", where.get("credentialsCopy"), params),
            *day(f"{t}.credentials_date", where.get("credentials"), params),
            *day(f"{t}.ended_date", where.get("ended"), params),
            *enum(f"{t}.end_reason", where.get("endReason"), params),
        ]
    return conditions


def _sanction_target(t: str, values: list[str], params: Params) -> str:
    return (
        f"({t}.target_state_id IN {state_ids(values, params)}"
        f" OR {t}.target_government_id IN {government_ids(values, params)}"
        f" OR {t}.target_person_id IN {person_ids(values, params)}"
        f" OR {t}.target_organization = ANY({params.add(list(values), 'text[]')}))"
    )


def _measures(t: str, given: Filter, params: Params) -> Conditions:
    if given is None:
        return []
    conditions = []
    if given.get("isNull") is not None:
        conditions.append(
            f"((cardinality({t}.measures) = 0) = {params.add(given['isNull'], 'boolean')})"
        )
    if given.get("eq") is not None:
        conditions.append(f"{t}.measures @> ARRAY[{params.add(given['eq'].value, 'varchar')}]")
    if given.get("in") is not None:
        conditions.append(f"{t}.measures && {params.add(_values(given['in']), 'varchar[]')}")
    return conditions


def sanction(t: str, where: Filter, as_of: date | None, params: Params) -> Conditions:
    conditions = in_force(t, as_of, params)
    if where is not None:
        # As the resolver path: `isNull` on the target is not a condition.
        target = where.get("target") or {}
        conditions += [
            *string(f"{t}.key", where.get("key"), params),
            *string(f"{t}.authority", where.get("authority"), params),
            *(
                [_sanction_target(t, [target["eq"]], params)]
                if target.get("eq") is not None
                else []
            ),
            *([_sanction_target(t, target["in"], params)] if target.get("in") is not None else []),
            *enum(f"{t}.target_kind", where.get("targetKind"), params),
            *_measures(t, where.get("measures"), params),
            *enum(f"{t}.status", where.get("status"), params),
            *day(f"{t}.from_date", where.get("from"), params),
            *day(f"{t}.to_date", where.get("to"), params),
        ]
    return conditions


def cooperation(t: str, where: Filter, as_of: date | None, params: Params) -> Conditions:
    # Cooperation is a statement made on a date: "as of D" means stated by then.
    conditions = [f"{t}.stated_date <= {params.add(as_of, 'date')}"] if as_of is not None else []
    if where is not None:
        conditions += [
            *string(f"{t}.key", where.get("key"), params),
            *key_ref(f"{t}.party_id", state_ids, where.get("party"), params),
            *reference(
                f"{t}.partner_state_id",
                f"{t}.partner_government_id",
                where.get("partner"),
                params,
                exact=False,
            ),
            *key_ref(f"{t}.area_id", area_ids, where.get("area"), params),
            *enum(f"{t}.stance", where.get("stance"), params),
            *day(f"{t}.stated_date", where.get("date"), params),
        ]
    return conditions

"""Each column of the bulk format seen from the table: which table columns it sets, and how its
stored and incoming values read as the text a file would hold.

Used to keep stored values a file does not give (`--merge`), to warn about values a file would
clear, and to show a change as `before → after` in the words of the format (a state's code, not
its id; `1997-05`, not a date and a precision). Key columns (a fact's identity) are left out:
they never change, they name the fact.
"""

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    # Table columns the field sets (none for citations and periods, which are rows of their own).
    columns: tuple[str, ...]
    # SQL giving the field as format text: `stored` on the stored row `cur`, `staged` on the
    # resolved staged row `r`.
    stored: str
    staged: str
    # Required columns are always given: there is nothing to keep.
    keepable: bool = True
    # "value", or "sources" / "periods" (children rows, compared on their own).
    kind: str = "value"


def fuzzy_text(date: str, precision: str) -> str:
    return (
        f"CASE {precision}::text WHEN 'year' THEN to_char({date}, 'YYYY') "
        f"WHEN 'month' THEN to_char({date}, 'YYYY-MM') "
        f"WHEN 'day' THEN to_char({date}, 'YYYY-MM-DD') END"
    )


def _text(name: str, column: str | None = None, *, required: bool = False) -> Field:
    column = column or name
    return Field(name, (column,), f"cur.{column}::text", f"r.{column}::text", not required)


def _fuzzy(name: str, prefix: str | None = None, *, required: bool = False) -> Field:
    p = prefix or name
    return Field(
        name,
        (f"{p}_date", f"{p}_precision"),
        fuzzy_text(f"cur.{p}_date", f"cur.{p}_precision"),
        fuzzy_text(f"r.{p}_date", f"r.{p}_precision"),
        not required,
    )


def _list(name: str) -> Field:
    return Field(
        name,
        (name,),
        f"NULLIF(array_to_string(cur.{name}, ';'), '')",
        f"NULLIF(array_to_string(r.{name}, ';'), '')",
    )


def _ref(name: str, column: str, table: str, key: str, *, required: bool = False) -> Field:
    return Field(
        name,
        (column,),
        f"(SELECT x.{key} FROM {table} x WHERE x.id = cur.{column})",
        f"r.{name}",
        not required,
    )


_SOURCES = Field(
    "sources",
    (),
    # Rendered by the diff itself (added and removed keys); the text forms are for warnings.
    "NULL",
    "NULL",
    kind="sources",
)
_PERIOD_TEXT = "{f} || '/' || COALESCE({t}, '')".format(
    f=fuzzy_text("{a}.from_date", "{a}.from_precision"),
    t=fuzzy_text("{a}.to_date", "{a}.to_precision"),
)
_PERIODS = Field(
    "periods",
    (),
    "(SELECT string_agg({p}, ';' ORDER BY p.from_date NULLS FIRST, p.id) "
    "FROM government_period p WHERE p.government_id = cur.id)".format(p=_PERIOD_TEXT.format(a="p")),
    "(SELECT string_agg({p}, ';' ORDER BY u.o) FROM unnest(r.period_from_dates, "
    "r.period_from_precisions, r.period_to_dates, r.period_to_precisions) WITH ORDINALITY "
    "AS u(from_date, from_precision, to_date, to_precision, o))".format(
        p=_PERIOD_TEXT.format(a="u")
    ),
    kind="periods",
)
_SANCTION_TARGET = Field(
    "target",
    ("target_state_id", "target_government_id", "target_person_id", "target_organization"),
    "COALESCE((SELECT x.key FROM government x WHERE x.id = cur.target_government_id), "
    "(SELECT x.key FROM person x WHERE x.id = cur.target_person_id), cur.target_organization, "
    "(SELECT x.iso3 FROM state x WHERE x.id = cur.target_state_id))",
    "COALESCE(r.target_government, r.target_person, r.target_organization, r.target_state)",
    keepable=False,
)

# Per entity, in the order of its columns; identity columns are not listed.
FIELDS: dict[str, tuple[Field, ...]] = {
    "sources": (
        _text("title", required=True),
        _text("url"),
        _text("publisher"),
        _fuzzy("published"),
        _text("language"),
        _text("kind"),
        _text("reliability"),
    ),
    "states": (
        _text("iso2"),
        _text("numeric"),
        _text("name", required=True),
        _text("official_name"),
        _text("kind"),
    ),
    "cooperation_areas": (
        _text("label", required=True),
        _ref("parent", "parent_id", "cooperation_area", "code"),
    ),
    "persons": (
        _text("name", required=True),
        _list("aliases"),
        _ref("nationality", "nationality_id", "state", "iso3"),
        _SOURCES,
    ),
    "governments": (
        _ref("state", "state_id", "state", "iso3", required=True),
        _text("name", required=True),
        _text("native_name"),
        _text("short_name"),
        _text("form"),
        _PERIODS,
        _SOURCES,
    ),
    "recognitions": (
        _text("type"),
        _text("mode"),
        _text("act"),
        _fuzzy("from", required=True),
        _fuzzy("to"),
        _text("end_reason"),
        _text("confidence"),
        _SOURCES,
        _text("notes"),
    ),
    "envoys": (
        _text("rank"),
        _text("title"),
        _fuzzy("appointed"),
        _fuzzy("credentials_copy"),
        _ref("credentials_copy_received_by", "credentials_copy_received_by_id", "person", "key"),
        _fuzzy("credentials"),
        _ref("credentials_received_by", "credentials_received_by_id", "person", "key"),
        _fuzzy("ended"),
        _text("end_reason"),
        _SOURCES,
        _text("notes"),
    ),
    "sanctions": (
        _text("authority", required=True),
        _text("program"),
        _text("instrument"),
        _list("measures"),
        _text("target_kind", required=True),
        _SANCTION_TARGET,
        _fuzzy("from"),
        _fuzzy("to"),
        _text("status"),
        _SOURCES,
        _text("notes"),
    ),
    "cooperations": (
        _text("stance"),
        _fuzzy("date", "stated"),
        _SOURCES,
        _text("notes"),
    ),
}


def field_of_column(entity: str) -> dict[str, Field]:
    """Table column -> the field that sets it."""
    return {column: f for f in FIELDS[entity] for column in f.columns}

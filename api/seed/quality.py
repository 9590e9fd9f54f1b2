"""Data-quality checks of the bundled seed, beyond what the importer and the database enforce.

    python -m api.seed.quality        (`make data-check`; CI runs it)

The importer already refuses malformed rows, unknown references and overlapping episodes. This
checks what makes the dataset worth citing:
- every fact cites at least one source, and every source has a URL or a document reference;
- in the contested cases (`cases/NAME/`), every fact quotes its source on at least one citation;
- a date given to the day is backed by a quote that gives that day (where the row has quotes);
- a recognition of a government falls within the government's periods, unless its notes say why.
It prints the rows, sources and facts of each case, and exits 1 when a check fails.
"""

import csv
import json
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from api.importer.fuzzy_dates import parse_fuzzy, parse_periods
from api.seed import SEED_DIR, seed_files

# Entities whose rows are facts (they carry `sources`), and their date columns.
FACT_DATES: dict[str, tuple[str, ...]] = {
    "recognitions": ("from", "to"),
    "envoys": ("appointed", "credentials_copy", "credentials", "ended"),
    "sanctions": ("from", "to"),
    "cooperations": ("date",),
    "governments": (),
    "persons": (),
}
# Month names in the languages the sources are written in (stems, so that inflected forms
# such as Russian "июля" or Portuguese "março" match).
_MONTHS: tuple[tuple[str, ...], ...] = (
    (
        "jan",
        "ene",
        "gen",
        "janv",
        "janeiro",
        "januar",
        "januari",
        "январ",
        "يناير",
        "جانفي",
        "كانون الثاني",
    ),
    (
        "feb",
        "fév",
        "fev",
        "febbr",
        "fevereiro",
        "februar",
        "februari",
        "феврал",
        "فبراير",
        "فيفري",
        "شباط",
    ),
    ("mar", "mär", "marzo", "março", "maart", "март", "مارس", "آذار"),
    ("apr", "avr", "abr", "aprile", "abril", "april", "апрел", "أبريل", "ابريل", "أفريل", "نيسان"),
    ("may", "mai", "mayo", "maggio", "maio", "mei", "мая", "май", "مايو", "ماي", "أيار"),
    ("jun", "juin", "junio", "giugno", "junho", "juni", "июн", "يونيو", "جوان", "حزيران"),
    ("jul", "juil", "julio", "luglio", "julho", "juli", "июл", "يوليو", "يوليوز", "جويلية", "تموز"),
    ("aug", "août", "ago", "agosto", "augustus", "август", "أغسطس", "غشت", "أوت", "آب"),
    (
        "sep",
        "sept",
        "set",
        "settembre",
        "setembro",
        "septiembre",
        "сентябр",
        "سبتمبر",
        "شتنبر",
        "أيلول",
    ),
    ("oct", "okt", "ott", "out", "outubro", "ottobre", "октябр", "أكتوبر", "اكتوبر", "تشرين الأول"),
    ("nov", "noviembre", "novembre", "novembro", "ноябр", "نوفمبر", "نونبر", "تشرين الثاني"),
    (
        "dec",
        "déc",
        "dic",
        "dez",
        "dicembre",
        "dezembro",
        "diciembre",
        "декабр",
        "ديسمبر",
        "كانون الأول",
    ),
)


@dataclass(frozen=True, slots=True)
class Citation:
    source: str
    quote: str | None


@dataclass
class Row:
    case: str
    entity: str
    where: str  # file:line
    values: dict[str, Any]
    citations: list[Citation] = field(default_factory=list)


def case_of(path: Path) -> str:
    parts = path.relative_to(SEED_DIR).parts
    return parts[1] if len(parts) > 2 and parts[0] == "cases" else "story"


def _entity(path: Path) -> str:
    stem = path.name[: -len(path.suffix)]
    return stem.rsplit(".", 1)[-1]


def _citations(value: Any) -> list[Citation]:
    if value in (None, ""):
        return []
    if isinstance(value, str):
        return [Citation(key.strip(), None) for key in value.split(";") if key.strip()]
    found = []
    for item in value:
        if isinstance(item, str):
            found.append(Citation(item, None))
        else:
            found.append(Citation(item["source"], item.get("quote") or None))
    return found


def read_rows(path: Path) -> Iterator[Row]:
    case, entity = case_of(path), _entity(path)
    label = str(path.relative_to(SEED_DIR))
    if path.suffix == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            for values in reader:
                row = {k: v for k, v in values.items() if v not in (None, "")}
                where = f"{label}:{reader.line_num}"
                yield Row(case, entity, where, row, _citations(row.get("sources")))
        return
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            values = json.loads(line)
            yield Row(case, entity, f"{label}:{number}", values, _citations(values.get("sources")))


# Weekday names, for reports that date an event by its weekday.
_WEEKDAYS: tuple[tuple[str, ...], ...] = (
    ("monday", "lundi", "lunes", "lunedì", "segunda", "montag", "maandag", "الاثنين", "الإثنين"),
    ("tuesday", "mardi", "martes", "martedì", "terça", "dienstag", "dinsdag", "الثلاثاء"),
    (
        "wednesday",
        "mercredi",
        "miércoles",
        "mercoledì",
        "quarta",
        "mittwoch",
        "woensdag",
        "الأربعاء",
    ),
    ("thursday", "jeudi", "jueves", "giovedì", "quinta", "donnerstag", "donderdag", "الخميس"),
    ("friday", "vendredi", "viernes", "venerdì", "sexta", "freitag", "vrijdag", "الجمعة"),
    ("saturday", "samedi", "sábado", "sabato", "samstag", "zaterdag", "السبت"),
    ("sunday", "dimanche", "domingo", "domenica", "sonntag", "zondag", "الأحد"),
)
# How long after the event a report may say "on Monday" and mean it.
_REPORT_DAYS = 7


_TODAY = ("today", "aujourd'hui", "hoy", "oggi", "hoje", "heute", "vandaag", "اليوم", "сегодня")


def _gives_relative_day(quote: str, day: date, published: str | None) -> bool:
    """A report's own way of giving a day, read with its publication date: "today", a weekday
    ("on Monday") or a bare day of the month ("on the 20th") within a week before it."""
    if not published or len(published) != 10:
        return False
    issued = date.fromisoformat(published)
    lag = (issued - day).days
    if not 0 <= lag <= _REPORT_DAYS:
        return False
    text = quote.lower()
    if lag <= 1 and any(word in text for word in _TODAY):
        return True
    if any(name in text for name in _WEEKDAYS[day.weekday()]):
        return True
    ordinal = re.search(rf"(?<!\d){day.day}(st|nd|rd|th|er|e|º)(?!\w)", text)
    return ordinal is not None and issued.month == day.month


def _gives_day(quote: str, day: date) -> bool:
    """Whether the quote states `day`: as an ISO date, d/m/y digits, or a day and a month name."""
    text = quote.lower()
    numeric = (f"{day.day}", f"{day.day:02d}")
    months = (f"{day.month}", f"{day.month:02d}")
    if day.isoformat() in text or f"{day.year}年{day.month}月{day.day}日" in text:
        return True
    forms = (
        form
        for d in numeric
        for m in months
        for sep in "/.-"
        # 9.6.1975 or 09/06/1975; 6/9/1975; 1975.6.9 (the Chinese foreign ministry's tables)
        for form in (
            f"{d}{sep}{m}{sep}{day.year}",
            f"{m}{sep}{d}{sep}{day.year}",
            f"{day.year}{sep}{m}{sep}{d}",
        )
    )
    if any(re.search(rf"(?<!\d){re.escape(form)}(?!\d)", text) for form in forms):
        return True
    words = re.findall(r"\w+", text)
    has_day = any(word.rstrip("stndrhaeº") in numeric or word in numeric for word in words)
    return has_day and any(name in text for name in _MONTHS[day.month - 1])


def _periods(text: str) -> list[tuple[date, date]]:
    return [
        (
            period.start.earliest if period.start else date.min,
            period.end.latest if period.end else date.max,
        )
        for period in parse_periods(text)
    ]


def check(rows: list[Row]) -> list[str]:
    problems: list[str] = []
    sources = {r.values["key"]: r for r in rows if r.entity == "sources"}
    periods = {
        r.values["key"]: _periods(r.values.get("periods", ".."))
        for r in rows
        if r.entity == "governments"
    }
    for source in sources.values():
        if not source.values.get("url") and not source.values.get("publisher"):
            problems.append(
                f"{source.where}: source {source.values['key']} has no URL or reference"
            )
    for row in rows:
        if row.entity not in FACT_DATES:
            continue
        if not row.citations:
            problems.append(f"{row.where}: a {row.entity[:-1]} without a source")
            continue
        for citation in row.citations:
            if citation.source not in sources:
                problems.append(f"{row.where}: cites unknown source {citation.source}")
        quotes = [c.quote for c in row.citations if c.quote]
        # Government and person rows describe, in CSV, what the facts refer to; the facts quote.
        if row.case != "story" and not quotes and row.entity not in ("governments", "persons"):
            problems.append(f"{row.where}: no citation quotes its source")
        for column in FACT_DATES[row.entity]:
            value = row.values.get(column)
            if not value or len(str(value)) != 10 or not quotes:
                continue
            day = date.fromisoformat(str(value))
            if not any(
                _gives_day(c.quote, day)
                or _gives_relative_day(c.quote, day, sources[c.source].values.get("published"))
                for c in row.citations
                if c.quote and c.source in sources
            ):
                problems.append(
                    f"{row.where}: {column} {value} is given to the day, no quote gives it"
                )
        subject = row.values.get("subject")
        if row.entity == "recognitions" and isinstance(subject, str) and ":" in subject:
            spans = periods.get(subject, [])
            start = parse_fuzzy(row.values["from"]).earliest
            end = parse_fuzzy(row.values["to"]).latest if row.values.get("to") else date.max
            inside = any(a <= start and end <= b for a, b in spans)
            if spans and not inside and not row.values.get("notes"):
                problems.append(
                    f"{row.where}: recognizes {subject} outside its periods, no note says why"
                )
    return problems


def summary(rows: list[Row]) -> str:
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for row in rows:
        counts[row.case]["rows"] += 1
        counts[row.case][
            "sources"
            if row.entity == "sources"
            else "facts"
            if row.entity in FACT_DATES
            else "other"
        ] += 1
        if row.entity == "recognitions":
            counts[row.case]["recognitions"] += 1
    lines = [f"{'case':12} {'rows':>6} {'sources':>8} {'facts':>6} {'recognitions':>13}"]
    for case in sorted(counts, key=lambda c: (c != "story", c)):
        c = counts[case]
        lines.append(
            f"{case:12} {c['rows']:6} {c['sources']:8} {c['facts']:6} {c['recognitions']:13}"
        )
    return "\n".join(lines)


def main() -> int:
    rows = [row for path in seed_files() for row in read_rows(path)]
    print(summary(rows))
    problems = check(rows)
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    print(f"{len(problems)} problem(s)" if problems else "every check passed")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

"""Dates known to the day, the month or the year, read as the interval they stand for."""

from __future__ import annotations

import calendar
import datetime as dt

XSD = "http://www.w3.org/2001/XMLSchema#"
DATATYPES = {10: XSD + "date", 7: XSD + "gYearMonth", 4: XSD + "gYear"}


def interval(text: str) -> tuple[dt.date, dt.date]:
    """The first and last day that ``text`` (YYYY-MM-DD, YYYY-MM or YYYY) may mean."""
    parts = [int(p) for p in text.split("-")]
    if len(parts) == 3:
        day = dt.date(*parts)
        return day, day
    if len(parts) == 2:
        year, month = parts
        return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])
    return dt.date(parts[0], 1, 1), dt.date(parts[0], 12, 31)


def datatype(text: str) -> str:
    return DATATYPES[len(text)]


def overlaps(date: str, start: str | None, end: str | None) -> bool:
    """Whether ``date`` may fall between ``start`` and ``end`` (an open end is unbounded)."""
    low, high = interval(date)
    if start is not None and interval(start)[0] > high:
        return False
    return not (end is not None and interval(end)[1] < low)

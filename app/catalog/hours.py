"""A location's opening hours: checking them, showing them, and the collection slots they allow.

Hours are JSON in the location's own time zone, ``{"mon": [["09:00", "21:00"]], ..., "sun": []}``.
A day left out is closed; ``"24:00"`` may close a window at midnight. Empty text means the hours
are unknown: always open, and collection slots fall between 09:00 and 21:00 local time.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from app.errors import DomainError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAX_TEXT = 10_000  # seven days of many windows fit easily; anything longer is not opening hours
MAX_WINDOWS = 24  # per day
MIDNIGHT = time.max  # what "24:00" closes at
UNKNOWN_HOURS = (time(9, 0), time(21, 0))  # collection slots when the hours are unknown
TIME_RE = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]")

Hours = dict[str, list[tuple[time, time]]]


def _invalid(message: str) -> DomainError:
    """The one refusal every bad opening-hours text gets."""
    return DomainError("invalid_opening_hours", f"Opening hours: {message}", status=422)


def _parse_time(value: object, *, closing: bool) -> time:
    """One "HH:MM" time; only a closing time may be "24:00"."""
    if not isinstance(value, str):
        raise _invalid('each time must be a string such as "09:00".')
    if closing and value == "24:00":
        return MIDNIGHT
    if not TIME_RE.fullmatch(value):
        raise _invalid(f'"{value[:10]}" is not a time such as "09:00" (00:00 to 23:59).')
    return time(int(value[:2]), int(value[3:]))


def _format_time(value: time) -> str:
    """A time as "HH:MM", midnight closing as "24:00"."""
    return "24:00" if value == MIDNIGHT else value.strftime("%H:%M")


def _minutes(value: time) -> int:
    """Minutes since local midnight; a "24:00" close counts as 1440."""
    return 24 * 60 if value == MIDNIGHT else value.hour * 60 + value.minute


def _parse_day(day: str, windows: object) -> list[tuple[time, time]]:
    """One day's windows, checked and sorted by opening time."""
    if not isinstance(windows, list):
        raise _invalid(f'"{day}" must be a list of ["open", "close"] pairs.')
    if len(windows) > MAX_WINDOWS:
        raise _invalid(f'"{day}" has more than {MAX_WINDOWS} opening windows.')
    parsed = []
    for window in windows:
        if not isinstance(window, list) or len(window) != 2:
            raise _invalid(f'each window on "{day}" must be a pair ["open", "close"].')
        opens, closes = _parse_time(window[0], closing=False), _parse_time(window[1], closing=True)
        if opens >= closes:
            raise _invalid(f'on "{day}" a window must open before it closes.')
        parsed.append((opens, closes))
    parsed.sort()
    for (_, earlier_close), (later_open, _) in zip(parsed, parsed[1:], strict=False):
        if later_open < earlier_close:
            raise _invalid(f'on "{day}" two windows overlap.')
    return parsed


def parse(text: str | None) -> Hours:
    """Checked hours for all seven days (a day left out is closed); ``{}`` when unknown."""
    if text is None or (isinstance(text, str) and not text.strip()):
        return {}
    if not isinstance(text, str):
        raise _invalid("they must be given as JSON text.")
    if len(text) > MAX_TEXT:
        raise _invalid("the text is too long.")
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        raise _invalid('they are not valid JSON such as {"mon": [["09:00", "21:00"]]}.') from None
    if not isinstance(data, dict):
        raise _invalid('they must be a JSON object such as {"mon": [["09:00", "21:00"]]}.')
    unknown = sorted(key for key in data if key not in DAYS)
    if unknown:
        raise _invalid(f'unknown day "{unknown[0][:10]}" (use mon, tue, wed, thu, fri, sat, sun).')
    return {day: _parse_day(day, data.get(day, [])) for day in DAYS}


def normalise(text: str | None) -> str:
    """The canonical JSON to store (every day, Monday first, windows in order), or "" if unknown."""
    hours = parse(text)
    if not hours:
        return ""
    return json.dumps({day: [[_format_time(o), _format_time(c)] for o, c in hours[day]] for day in DAYS})


def _zone(tz_name: str) -> ZoneInfo:
    """The location's time zone, refused clearly when its name is not one."""
    try:
        return ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise DomainError("invalid_timezone", f"Unknown time zone {str(tz_name)[:64]!r}.", status=422) from None


def _aware(at: datetime) -> datetime:
    """Refuse a naive datetime: a moment without a zone cannot be compared with hours."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("expected an aware datetime")
    return at


def is_open(text: str | None, tz_name: str, at: datetime) -> bool:
    """Whether the location is open at the moment ``at`` (unknown hours count as open)."""
    local = _aware(at).astimezone(_zone(tz_name))
    hours = parse(text)
    if not hours:
        return True
    now = local.hour * 60 + local.minute + (local.second + local.microsecond / 1e6) / 60
    return any(_minutes(o) <= now < _minutes(c) for o, c in hours[DAYS[local.weekday()]])


def _local_moment(day: date, at: time, zone: ZoneInfo) -> datetime:
    """A local wall-clock time on a day as an aware UTC moment ("24:00" is the next midnight)."""
    if at == MIDNIGHT:
        return datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


def collection_slots(
    text: str | None, tz_name: str, after: datetime, days: int = 3, slot_minutes: int = 60
) -> list[tuple[datetime, datetime]]:
    """Whole slots (UTC) inside opening hours, starting at or after ``after``, today and ``days - 1`` more."""
    if slot_minutes <= 0 or days < 0:
        raise ValueError("slot_minutes must be positive and days not negative")
    zone = _zone(tz_name)
    after = _aware(after).astimezone(UTC)
    hours = parse(text)
    step = timedelta(minutes=slot_minutes)
    first_day = after.astimezone(zone).date()
    slots = []
    for offset in range(days):
        day = first_day + timedelta(days=offset)
        windows = hours[DAYS[day.weekday()]] if hours else [UNKNOWN_HOURS]
        for opens, closes in windows:
            # Stepped in real time from the opening, so a clock change neither repeats nor skips a slot.
            start, end = _local_moment(day, opens, zone), _local_moment(day, closes, zone)
            while start + step <= end:
                if start >= after:
                    slots.append((start, start + step))
                start += step
    return slots


def describe(text: str | None) -> list[tuple[str, str]]:
    """Each weekday with its hours, e.g. ("Mon", "09:00–21:00") or ("Sun", "Closed"); [] if unknown."""
    hours = parse(text)
    if not hours:
        return []
    return [
        (day.title(), ", ".join(f"{_format_time(o)}–{_format_time(c)}" for o, c in hours[day]) or "Closed")
        for day in DAYS
    ]

"""Opening hours: what a shop may store, when it counts as open, and which collection slots it offers."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.catalog import hours
from app.errors import DomainError

WEEK = json.dumps(
    {
        "mon": [["09:00", "21:00"]],
        "tue": [["09:00", "12:00"], ["13:00", "18:00"]],
        "wed": [["09:00", "21:00"]],
        "thu": [["09:00", "21:00"]],
        "fri": [["09:00", "21:00"]],
        "sat": [["10:00", "16:00"]],
        "sun": [],
    }
)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def test_valid_hours_parse_into_times_for_every_day():
    parsed = hours.parse(WEEK)
    assert list(parsed) == ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    assert parsed["tue"] == [(time(9), time(12)), (time(13), time(18))]
    assert parsed["sun"] == []


def test_left_out_days_are_closed_and_windows_are_put_in_order():
    parsed = hours.parse('{"fri": [["14:00", "18:00"], ["08:00", "12:00"]]}')
    assert parsed["fri"] == [(time(8), time(12)), (time(14), time(18))]
    assert parsed["mon"] == []


def test_empty_text_means_unknown():
    assert hours.parse("") == {}
    assert hours.parse("   ") == {}
    assert hours.normalise("") == ""
    assert hours.describe("") == []


def test_normalise_gives_one_canonical_form():
    messy = '{ "sun": [], "mon":[["09:00","21:00"]], "tue": [["13:00","18:00"],["09:00","12:00"]] }'
    canonical = hours.normalise(messy)
    assert list(json.loads(canonical)) == ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    assert json.loads(canonical)["tue"] == [["09:00", "12:00"], ["13:00", "18:00"]]
    assert hours.normalise(canonical) == canonical


def test_midnight_closing_is_kept_as_24_00():
    text = '{"fri": [["18:00", "24:00"]]}'
    assert json.loads(hours.normalise(text))["fri"] == [["18:00", "24:00"]]
    assert dict(hours.describe(text))["Fri"] == "18:00–24:00"
    assert hours.is_open(text, "UTC", utc(2026, 12, 4, 23, 59, 30))  # a Friday


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        "{",
        '["mon"]',
        '"09:00"',
        "42",
        "null",
        '{"monday": [["09:00", "21:00"]]}',
        '{"mon": "09:00-21:00"}',
        '{"mon": [["09:00"]]}',
        '{"mon": [["09:00", "21:00", "22:00"]]}',
        '{"mon": ["09:00", "21:00"]}',
        '{"mon": [[9, 21]]}',
        '{"mon": [["9:00", "21:00"]]}',
        '{"mon": [["09:00", "25:00"]]}',
        '{"mon": [["09:60", "21:00"]]}',
        '{"mon": [["24:00", "24:00"]]}',
        '{"mon": [["09:00\\n", "21:00"]]}',
        '{"mon": [["\u0669\u0669:00", "21:00"]]}',
        '{"mon": [["21:00", "09:00"]]}',
        '{"mon": [["09:00", "09:00"]]}',
        '{"mon": [["09:00", "13:00"], ["12:00", "18:00"]]}',
        '{"mon": [[null, "21:00"]]}',
        "[" * 100_000,
        "[" * 5000 + "]" * 5000,
        '{"mon": ' + "[" * 3000 + "]" * 3000 + "}",
        '{"mon": [' + ", ".join('["09:00", "09:01"]' for _ in range(30)) + "]}",
        "1" * 5000,
    ],
)
def test_bad_hours_are_refused_with_one_clear_error(text):
    with pytest.raises(DomainError) as refused:
        hours.parse(text)
    assert refused.value.code == "invalid_opening_hours"
    assert refused.value.status == 422
    assert refused.value.message.startswith("Opening hours:")
    with pytest.raises(DomainError):
        hours.normalise(text)


def test_back_to_back_windows_are_not_an_overlap():
    assert hours.parse('{"mon": [["09:00", "12:00"], ["12:00", "18:00"]]}')["mon"][1] == (time(12), time(18))


def test_is_open_reads_the_clock_in_the_stores_time_zone():
    # Monday 7 Dec 2026, 02:00 UTC is 10:00 in Shanghai: open there, not yet in London.
    assert hours.is_open(WEEK, "Asia/Shanghai", utc(2026, 12, 7, 2, 0))
    assert not hours.is_open(WEEK, "Europe/London", utc(2026, 12, 7, 2, 0))
    # 13:30 UTC is 21:30 in Shanghai: closed there, open in London.
    assert not hours.is_open(WEEK, "Asia/Shanghai", utc(2026, 12, 7, 13, 30))
    assert hours.is_open(WEEK, "Europe/London", utc(2026, 12, 7, 13, 30))


def test_is_open_uses_the_local_weekday_and_closes_on_time():
    # Sunday 6 Dec 2026 20:00 UTC is already Monday 04:00 in Shanghai: Monday's hours, not yet open.
    assert not hours.is_open(WEEK, "Asia/Shanghai", utc(2026, 12, 6, 20, 0))
    assert hours.is_open(WEEK, "Asia/Shanghai", utc(2026, 12, 7, 1, 0))  # Monday 09:00 sharp
    assert not hours.is_open(WEEK, "Asia/Shanghai", utc(2026, 12, 7, 13, 0))  # Monday 21:00 sharp


def test_closed_day_and_lunch_break():
    assert not hours.is_open(WEEK, "UTC", utc(2026, 12, 6, 12, 0))  # Sunday
    assert not hours.is_open(WEEK, "UTC", utc(2026, 12, 8, 12, 30))  # Tuesday lunch
    assert hours.is_open(WEEK, "UTC", utc(2026, 12, 8, 13, 0))


def test_unknown_hours_are_always_open():
    assert hours.is_open("", "Asia/Shanghai", utc(2026, 12, 6, 19, 0))


def test_an_unknown_time_zone_is_refused():
    with pytest.raises(DomainError) as refused:
        hours.is_open(WEEK, "Mars/Olympus_Mons", utc(2026, 12, 7, 2, 0))
    assert refused.value.code == "invalid_timezone"
    assert refused.value.status == 422


def test_slots_fall_inside_the_hours_and_start_after_the_given_moment():
    # Monday 7 Dec 2026 at 10:20 Shanghai time (02:20 UTC).
    slots = hours.collection_slots(WEEK, "Asia/Shanghai", utc(2026, 12, 7, 2, 20))
    zone = ZoneInfo("Asia/Shanghai")
    local = [(s.astimezone(zone), e.astimezone(zone)) for s, e in slots]
    monday = [(s.strftime("%H:%M"), e.strftime("%H:%M")) for s, e in local if s.day == 7]
    assert monday[0] == ("11:00", "12:00")  # the next whole slot after 10:20
    assert monday[-1] == ("20:00", "21:00")
    tuesday = [s.strftime("%H:%M") for s, _ in local if s.day == 8]
    assert tuesday == ["09:00", "10:00", "11:00", "13:00", "14:00", "15:00", "16:00", "17:00"]
    assert {s.day for s, _ in local} == {7, 8, 9}  # three days, today included
    assert all(s.tzinfo == UTC and e - s == timedelta(hours=1) for s, e in slots)
    assert all(s >= utc(2026, 12, 7, 2, 20) for s, _ in slots)
    assert all(hours.is_open(WEEK, "Asia/Shanghai", s) for s, _ in slots)
    assert slots == sorted(slots)


def test_a_slot_starting_exactly_at_the_moment_is_offered():
    slots = hours.collection_slots(WEEK, "UTC", utc(2026, 12, 7, 9, 0), days=1)
    assert slots[0] == (utc(2026, 12, 7, 9, 0), utc(2026, 12, 7, 10, 0))
    assert len(slots) == 12


def test_no_slots_on_a_closed_day_or_after_closing():
    assert hours.collection_slots(WEEK, "UTC", utc(2026, 12, 6, 8, 0), days=1) == []  # Sunday
    assert hours.collection_slots(WEEK, "UTC", utc(2026, 12, 7, 20, 1), days=1) == []  # Monday, last slot gone


def test_slot_length_is_respected():
    slots = hours.collection_slots(
        '{"sat": [["10:00", "11:45"]]}', "UTC", utc(2026, 12, 5, 0, 0), days=1, slot_minutes=30
    )
    assert [s.strftime("%H:%M") for s, _ in slots] == ["10:00", "10:30", "11:00"]  # 11:30 would run past closing


def test_unknown_hours_give_daytime_slots():
    slots = hours.collection_slots("", "Asia/Shanghai", utc(2026, 12, 6, 0, 0), days=2)
    zone = ZoneInfo("Asia/Shanghai")
    assert len(slots) == 24
    assert slots[0][0].astimezone(zone).strftime("%a %H:%M") == "Sun 09:00"
    assert slots[-1][1].astimezone(zone).strftime("%a %H:%M") == "Mon 21:00"


def test_slots_on_the_spring_clock_change_neither_repeat_nor_invent_an_hour():
    # Sunday 29 Mar 2026 in London: 01:00 GMT jumps to 02:00 BST.
    text = '{"sun": [["00:00", "04:00"], ["09:00", "12:00"]]}'
    slots = hours.collection_slots(text, "Europe/London", utc(2026, 3, 29, 0, 0), days=1)  # 00:00 GMT
    zone = ZoneInfo("Europe/London")
    local = [s.astimezone(zone).strftime("%H:%M") for s, _ in slots]
    assert local == ["00:00", "02:00", "03:00", "09:00", "10:00", "11:00"]
    assert slots[3][0] == utc(2026, 3, 29, 8, 0)  # 09:00 BST
    assert all(e - s == timedelta(hours=1) for s, e in slots)
    assert all(hours.is_open(text, "Europe/London", s) for s, _ in slots)


def test_slots_on_the_autumn_clock_change_keep_the_extra_hour_once():
    # Sunday 25 Oct 2026 in London: 02:00 BST falls back to 01:00 GMT.
    text = '{"sun": [["00:00", "03:00"], ["09:00", "10:00"]]}'
    slots = hours.collection_slots(text, "Europe/London", utc(2026, 10, 24, 23, 0), days=1)  # 00:00 BST
    assert [s for s, _ in slots] == [utc(2026, 10, 24, 23, 0), *(utc(2026, 10, 25, h, 0) for h in (0, 1, 2, 9))]
    assert len(set(slots)) == len(slots)


def test_slots_in_a_zone_without_clock_changes_stay_on_the_hour_all_year():
    for monday in (utc(2026, 1, 5), utc(2026, 7, 6)):
        slots = hours.collection_slots(WEEK, "Asia/Shanghai", monday, days=1)
        assert slots[0][0] == monday + timedelta(hours=1)  # 09:00 in Shanghai
        assert len(slots) == 12


def test_naive_moments_are_not_guessed():
    with pytest.raises(ValueError):
        hours.is_open(WEEK, "UTC", datetime(2026, 12, 7, 10, 0))


def test_describe_gives_each_weekday_for_the_page():
    assert hours.describe(WEEK) == [
        ("Mon", "09:00–21:00"),
        ("Tue", "09:00–12:00, 13:00–18:00"),
        ("Wed", "09:00–21:00"),
        ("Thu", "09:00–21:00"),
        ("Fri", "09:00–21:00"),
        ("Sat", "10:00–16:00"),
        ("Sun", "Closed"),
    ]

"""ISO weeks in the centre's time zone: year edges, week 53, daylight-saving changes."""

from __future__ import annotations

import re
import zoneinfo
from datetime import UTC, date, datetime, timedelta

import pytest

from pipeline.config import ConfigError, parse_config
from pipeline.project import Project
from pipeline.watch.models import Entry, ThemeMatch
from pipeline.watch.store import Store
from pipeline.watch.weeks import (
    Week,
    WeekError,
    current_week,
    item_week,
    project_timezone,
    resolve_week,
    week_items,
    week_of,
    weeks_in_year,
)

BRUSSELS = zoneinfo.ZoneInfo("Europe/Brussels")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_weeks_read_and_print_as_iso_weeks():
    assert str(Week.parse("2026-W48")) == "2026-W48"
    assert Week.parse(" 2026-W05 ") == Week(2026, 5)
    assert Week(2026, 48).monday == date(2026, 11, 23) and Week(2026, 48).sunday == date(2026, 11, 29)
    assert Week(2026, 1) < Week(2026, 2) < Week(2027, 1)
    for bad in ("2026W48", "2026-48", "2026-W4", "W48", ""):
        with pytest.raises(WeekError, match="write it as an ISO week such as 2026-W48"):
            Week.parse(bad)


def test_week_one_that_starts_in_december():
    # 2025-W01 runs from Monday 30 December 2024 to Sunday 5 January 2025.
    assert Week(2025, 1).monday == date(2024, 12, 30)
    assert week_of(datetime(2024, 12, 30, 0, 0, tzinfo=BRUSSELS), BRUSSELS) == Week(2025, 1)
    assert week_of(datetime(2024, 12, 29, 23, 59, tzinfo=BRUSSELS), BRUSSELS) == Week(2024, 52)
    # 23:30 UTC on Sunday 29 December is already Monday 00:30 in Brussels: the new ISO year's first week.
    assert week_of(utc(2024, 12, 29, 23, 30), BRUSSELS) == Week(2025, 1)
    assert week_of(utc(2024, 12, 29, 23, 30), UTC) == Week(2024, 52)
    assert Week(2024, 52).next() == Week(2025, 1) and Week(2025, 1).previous() == Week(2024, 52)


def test_week_53():
    assert weeks_in_year(2026) == 53 and weeks_in_year(2025) == 52 and weeks_in_year(2020) == 53
    assert Week(2026, 53).monday == date(2026, 12, 28) and Week(2026, 53).sunday == date(2027, 1, 3)
    assert week_of(datetime(2027, 1, 3, 23, 0, tzinfo=BRUSSELS), BRUSSELS) == Week(2026, 53)
    assert Week(2026, 53).next() == Week(2027, 1)
    assert Week(2026, 52).next() == Week(2026, 53)
    with pytest.raises(WeekError, match="2025 has no week 53: its weeks are 1 to 52"):
        Week.parse("2025-W53")
    with pytest.raises(WeekError, match="2026 has no week 0"):
        Week(2026, 0)


def test_a_week_with_the_spring_change_lasts_167_hours():
    week = Week(2026, 13)  # Sunday 29 March 2026: clocks go from 02:00 to 03:00
    start, end = week.start(BRUSSELS), week.end(BRUSSELS)
    assert (end.astimezone(UTC) - start.astimezone(UTC)) == timedelta(hours=167)
    assert week.utc_bounds(BRUSSELS) == ("2026-03-22T23:00:00+00:00", "2026-03-29T22:00:00+00:00")
    assert week_of(utc(2026, 3, 29, 21, 59), BRUSSELS) == week  # Sunday 23:59 CEST
    assert week_of(utc(2026, 3, 29, 22, 0), BRUSSELS) == Week(2026, 14)  # Monday 00:00 CEST


def test_a_week_with_the_autumn_change_lasts_169_hours():
    week = Week(2026, 43)  # Sunday 25 October 2026: clocks go from 03:00 back to 02:00
    start, end = week.start(BRUSSELS), week.end(BRUSSELS)
    assert (end.astimezone(UTC) - start.astimezone(UTC)) == timedelta(hours=169)
    assert week.utc_bounds(BRUSSELS) == ("2026-10-18T22:00:00+00:00", "2026-10-25T23:00:00+00:00")
    assert week_of(utc(2026, 10, 25, 22, 30), BRUSSELS) == week  # Sunday 23:30 CET
    assert week_of(utc(2026, 10, 25, 23, 0), BRUSSELS) == Week(2026, 44)
    # The repeated hour 02:00-03:00 is in the week either way.
    assert week_of(utc(2026, 10, 25, 0, 30), BRUSSELS) == week and week_of(utc(2026, 10, 25, 1, 30), BRUSSELS) == week


def test_a_naive_moment_is_utc():
    assert week_of(datetime(2024, 12, 29, 23, 30), BRUSSELS) == Week(2025, 1)


def test_the_time_zone_comes_from_the_config(project: Project):
    assert project_timezone(project) == BRUSSELS
    assert parse_config({"watch": {"timezone": "UTC"}}).watch.timezone == "UTC"
    with pytest.raises(ConfigError, match=re.escape("'watch.timezone': expected an IANA time zone such as "
                                                    "'Europe/Brussels', got 'Mars/Olympus'")):
        parse_config({"watch": {"timezone": "Mars/Olympus"}})
    assert resolve_week(project, "2026-W48") == Week(2026, 48)
    assert resolve_week(project, None, now=utc(2026, 11, 29, 23, 30)) == Week(2026, 49)  # Monday 00:30 in Brussels
    assert current_week(UTC, now=utc(2026, 11, 29, 23, 30)) == Week(2026, 48)


def _entry(key: str, published: datetime | None) -> Entry:
    return Entry(key, f"https://news.example/{key}", f"Title {key}", "", published, "", "fr")


def test_an_item_belongs_to_the_week_it_was_published_else_first_seen(tmp_path):
    with Store(tmp_path / "w.sqlite") as store:
        state = store.feed_states(["https://news.example/feed"])["https://news.example/feed"]
        entries = [
            _entry("sunday-night", utc(2026, 11, 29, 22, 30)),  # Sunday 23:30 in Brussels: W48
            _entry("monday-early", utc(2026, 11, 29, 23, 30)),  # Monday 00:30 in Brussels: W49
            _entry("undated", None),  # first seen at the fetch below: W49
            _entry("old", utc(2026, 11, 1, 9)),  # W44, seen later
        ]
        store.ingest(state, entries, [ThemeMatch()] * len(entries), utc(2026, 12, 2, 8))
        weeks = {item.sources[0].entry_key: item_week(item, BRUSSELS) for item in store.items()}
        assert weeks == {"sunday-night": Week(2026, 48), "monday-early": Week(2026, 49),
                         "undated": Week(2026, 49), "old": Week(2026, 44)}
        assert [i.title for i in week_items(store, Week(2026, 48), BRUSSELS)] == ["Title sunday-night"]
        assert sorted(i.title for i in week_items(store, Week(2026, 49), BRUSSELS)) == [
            "Title monday-early", "Title undated"]
        assert week_items(store, Week(2026, 45), BRUSSELS) == []

"""Watch weeks: ISO 8601 weeks (`2026-W48`) in the centre's time zone (`watch.timezone`).

A week runs from Monday 00:00 to the next Monday 00:00 on the centre's clocks, so a
week that holds a daylight-saving change lasts 167 or 169 hours, and an item
published at 00:30 on a Monday in Brussels (still Sunday in UTC) belongs to the new
week. The store keeps UTC timestamps; `Week.utc_bounds` turns a week into the UTC
range to ask it for.
"""

from __future__ import annotations

import re
import zoneinfo
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from pipeline.errors import CrebisError
from pipeline.project import Project
from pipeline.watch.models import StoredItem
from pipeline.watch.store import Store, iso

_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


class WeekError(CrebisError):
    """A week that is not of the form 2026-W48, or that does not exist."""


@dataclass(frozen=True, order=True)
class Week:
    """One ISO week: its ISO year (which may differ from the calendar year of its days) and number."""

    year: int
    number: int

    def __post_init__(self) -> None:
        if not 1 <= self.number <= weeks_in_year(self.year):
            raise WeekError(f"{self.year} has no week {self.number}: its weeks are 1 to {weeks_in_year(self.year)}")

    @classmethod
    def parse(cls, text: str) -> Week:
        """`2026-W48` as a Week; anything else is a `WeekError` saying what is expected."""
        match = _WEEK.match(text.strip())
        if not match:
            raise WeekError(f"{text!r} is not a week: write it as an ISO week such as 2026-W48")
        return cls(int(match.group(1)), int(match.group(2)))

    def __str__(self) -> str:
        return f"{self.year}-W{self.number:02d}"

    @property
    def monday(self) -> date:
        """The week's first day."""
        return date.fromisocalendar(self.year, self.number, 1)

    @property
    def sunday(self) -> date:
        """The week's last day."""
        return self.monday + timedelta(days=6)

    def next(self) -> Week:
        return week_of_date(self.monday + timedelta(days=7))

    def previous(self) -> Week:
        return week_of_date(self.monday - timedelta(days=7))

    def start(self, tz: tzinfo) -> datetime:
        """Monday 00:00 of this week on the clocks of `tz` (midnight is never skipped by Europe's DST changes)."""
        return datetime.combine(self.monday, time(0), tzinfo=tz)

    def end(self, tz: tzinfo) -> datetime:
        """The start of the next week: the end of this one, excluded."""
        return self.next().start(tz)

    def utc_bounds(self, tz: tzinfo) -> tuple[str, str]:
        """The week as a half-open range of stored timestamps (UTC ISO 8601): [start, end)."""
        return iso(self.start(tz)), iso(self.end(tz))

    def contains(self, moment: datetime, tz: tzinfo) -> bool:
        return week_of(moment, tz) == self


def weeks_in_year(year: int) -> int:
    """52, or 53 for ISO years that start on a Thursday (or a Wednesday in a leap year)."""
    return date(year, 12, 28).isocalendar().week


def week_of_date(day: date) -> Week:
    """The ISO week of a calendar day."""
    iso = day.isocalendar()
    return Week(iso.year, iso.week)


def week_of(moment: datetime, tz: tzinfo) -> Week:
    """The week of a moment as the clocks of `tz` show it; a naive moment is taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return week_of_date(moment.astimezone(tz).date())


def item_moment(item: StoredItem) -> datetime:
    """When an item counts as published: its own date, else when the watch first saw it."""
    return datetime.fromisoformat(item.published or item.first_seen)


def item_week(item: StoredItem, tz: tzinfo) -> Week:
    """The week an item belongs to: the week it was published, else the week it was first seen."""
    return week_of(item_moment(item), tz)


def current_week(tz: tzinfo, now: datetime | None = None) -> Week:
    """The week in progress on the clocks of `tz`."""
    return week_of(now or datetime.now(UTC), tz)


def project_timezone(project: Project) -> zoneinfo.ZoneInfo:
    """The centre's time zone, `watch.timezone` (validated when the config was loaded)."""
    return zoneinfo.ZoneInfo(project.config.watch.timezone)


def resolve_week(project: Project, text: str | None, now: datetime | None = None) -> Week:
    """The week a command names, or the week in progress when it names none."""
    return Week.parse(text) if text else current_week(project_timezone(project), now)


def week_items(store: Store, week: Week, tz: tzinfo) -> list[StoredItem]:
    """The stored items of a week: published (else first seen) within it on the centre's clocks."""
    start, end = week.utc_bounds(tz)
    return store.items(since=start, until=end)

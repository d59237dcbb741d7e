"""Dates by rule families, not by phrases: properties over generated phrases, and each
family's forms in both languages.

"Now" is frozen per test; the properties run over every count, unit, weekday and "now"
hypothesis draws, so a rule written for one phrase does not pass them.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.understanding.dates import day_first_in, find_when
from tests.date_phrases import add_months, dev_set

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 20, 10, 0, tzinfo=SHANGHAI)  # a Friday
DEFAULT_HOUR = 9

# Any minute of two years, in a zone with no daylight saving (the offsets are exact).
nows = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31),
                    ).map(lambda d: d.replace(second=0, microsecond=0, tzinfo=SHANGHAI))

EN_UNITS = {"minutes": "minutes", "hours": "hours", "days": "days", "weeks": "weeks",
            "months": "months"}
CN_UNITS = {"minutes": "分钟", "hours": "小时", "days": "天", "weeks": "周", "months": "个月"}


def expected_after(now: datetime, count: int, unit: str) -> datetime:
    """Minutes and hours exactly; days, weeks and months on the calendar, at the default
    hour."""
    if unit in ("minutes", "hours"):
        return now + timedelta(**{unit: count})
    if unit == "months":
        day = add_months(now.date(), count)
    else:
        day = now.date() + timedelta(days=count * (7 if unit == "weeks" else 1))
    return datetime.combine(day, time(DEFAULT_HOUR), tzinfo=now.tzinfo)


def when(phrase: str, now: datetime = NOW) -> datetime | None:
    found = find_when(phrase, now, default_hour=DEFAULT_HOUR)
    return None if found is None else found.at


@settings(max_examples=300, deadline=None)
@given(now=nows, count=st.integers(min_value=1, max_value=99),
       unit=st.sampled_from(sorted(EN_UNITS)), chinese=st.booleans())
def test_in_n_units_is_exactly_now_plus_n(now: datetime, count: int, unit: str,
                                          chinese: bool) -> None:
    phrase = f"{count}{CN_UNITS[unit]}后" if chinese else f"in {count} {EN_UNITS[unit]}"
    assert when(phrase, now) == expected_after(now, count, unit)


CN_WEEKDAYS = ["一", "二", "三", "四", "五", "六", "日"]
EN_WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


@settings(max_examples=300, deadline=None)
@given(now=nows, target=st.integers(min_value=0, max_value=6),
       word=st.sampled_from(["周", "星期", "礼拜", "en", "en-short"]),
       hour=st.one_of(st.none(), st.integers(min_value=8, max_value=20)))
def test_a_bare_weekday_is_the_next_such_day_still_ahead(now: datetime, target: int, word: str,
                                                         hour: int | None) -> None:
    """This week's, today's while its time is ahead, and never more than 7 days on."""
    if word == "en":
        phrase = EN_WEEKDAYS[target] + (f" {hour}:00" if hour is not None else "")
    elif word == "en-short":
        phrase = EN_WEEKDAYS[target][:3] + f" {hour if hour is not None else 10}:00"
        hour = 10 if hour is None else hour
    else:
        phrase = word + CN_WEEKDAYS[target] + (f"{hour}点" if hour is not None else "")
    found = when(phrase, now)
    assert found is not None, phrase
    assert found.weekday() == target
    assert found.hour == (DEFAULT_HOUR if hour is None else hour)
    assert now < found <= now + timedelta(days=7)


@settings(max_examples=200, deadline=None)
@given(now=nows, target=st.integers(min_value=0, max_value=6))
def test_next_weeks_weekday_is_in_the_next_calendar_week(now: datetime, target: int) -> None:
    found = when(f"下周{CN_WEEKDAYS[target]}", now)
    next_monday = now.date() + timedelta(days=7 - now.weekday())
    assert found is not None and found.date() == next_monday + timedelta(days=target)


SENTENCES = ["客户说{p}再联系", "拜访了王总，{p}跟进", "follow up {p} about the quote",
             "{p}, call Li again", "sent samples; remind me {p} please"]
PHRASES = ["明天下午3点", "下周二上午十点", "3天后", "过两天", "半个月后", "明儿上午",
           "tomorrow 3pm", "next Friday", "in 2 weeks", "in a couple of days",
           "in an hour and a half", "Tue 2pm"]


@settings(max_examples=200, deadline=None)
@given(now=nows, phrase=st.sampled_from(PHRASES), sentence=st.sampled_from(SENTENCES))
def test_a_phrase_means_the_same_inside_a_sentence(now: datetime, phrase: str,
                                                   sentence: str) -> None:
    assert when(sentence.format(p=phrase), now) == when(phrase, now)


no_date_words = st.one_of(
    st.integers(min_value=0, max_value=10**12).map(str),
    st.from_regex(r"1[3-9]\d \d{4} \d{4}", fullmatch=True),  # phone numbers
    st.from_regex(r"\+86 1[3-9]\d-\d{4}-\d{4}", fullmatch=True),
    st.from_regex(r"[¥$]\d{1,3}(,\d{3}){0,2}(\.\d\d)?", fullmatch=True),  # amounts
    st.from_regex(r"\d{1,3}(\.\d)?万元?", fullmatch=True),
    st.from_regex(r"(X|RX|iPhone |Model )\d{1,3}[A-Z]?", fullmatch=True),  # model names
    st.from_regex(r"(room|Room|会议室|房间) ?\d{3,4}", fullmatch=True),  # room numbers
    st.from_regex(r"(买了|订了|ordered|bought) \d{1,3} (台|套|units|pcs)", fullmatch=True),
)


@settings(max_examples=400, deadline=None)
@given(text=no_date_words)
def test_no_date_is_read_where_no_date_word_is(text: str) -> None:
    assert when(text) is None, text


# ---- each family's forms, both languages (now: Friday 2026-11-20 10:00) ------------------

@pytest.mark.parametrize(("phrase", "expected"), [
    # colloquial day words
    ("明儿下午3点", "2026-11-21 15:00"), ("今儿晚上8点", "2026-11-20 20:00"),
    ("后儿上午", "2026-11-22 10:00"), ("大后儿", "2026-11-23 09:00"),
    ("明儿个", "2026-11-21 09:00"), ("昨儿下午见过", "2026-11-19 15:00"),
    ("tmw 3pm", "2026-11-21 15:00"), ("2moro", "2026-11-21 09:00"),
    ("tomorow at 10", "2026-11-21 10:00"), ("tonite at 9", "2026-11-20 21:00"),
    # fractions and compounds of periods
    ("半个月后", "2026-12-05 09:00"), ("一个半月后", "2027-01-04 09:00"),
    ("两个半小时后", "2026-11-20 12:30"), ("半小时后", "2026-11-20 10:30"),
    ("in half a month", "2026-12-05 09:00"), ("a month and a half later", "2027-01-04 09:00"),
    ("in an hour and a half", "2026-11-20 11:30"), ("in 1.5 hours", "2026-11-20 11:30"),
    ("in a week or two", "2026-11-27 09:00"), ("一两周后", "2026-11-27 09:00"),
    ("in 2-3 days", "2026-11-22 09:00"), ("两三天后", "2026-11-22 09:00"),
    ("in two or three weeks", "2026-12-04 09:00"),
    # vague near offsets: couple = 2, few / 几 / 些 = 3
    ("过两天", "2026-11-22 09:00"), ("过几天再联系", "2026-11-23 09:00"),
    ("过些天", "2026-11-23 09:00"), ("几天后", "2026-11-23 09:00"),
    ("过两周", "2026-12-04 09:00"), ("in a couple of days", "2026-11-22 09:00"),
    ("in a couple days", "2026-11-22 09:00"), ("in a few days", "2026-11-23 09:00"),
    ("a few days later", "2026-11-23 09:00"),
    # a weekday with a time: this week's, or next week's once the time has passed today
    ("周五下午3点", "2026-11-20 15:00"), ("周五上午9点", "2026-11-27 09:00"),
    ("周六上午", "2026-11-21 10:00"), ("Friday 5pm", "2026-11-20 17:00"),
    ("Friday 9am", "2026-11-27 09:00"), ("Sat 10am", "2026-11-21 10:00"),
    ("Tue 2pm", "2026-11-24 14:00"), ("thu at 10", "2026-11-26 10:00"),
])
def test_family(phrase: str, expected: str) -> None:
    found = when(phrase)
    assert found is not None and found.strftime("%Y-%m-%d %H:%M") == expected


@pytest.mark.parametrize("phrase", ["之后再说", "然后儿子说", "以前个人", "sat 2 hours with Li",
                                    "以后再买", "最后个", "few people came", "a couple of units"])
def test_words_that_look_like_a_family_but_are_not(phrase: str) -> None:
    assert when(phrase) is None


@pytest.mark.parametrize(("region", "day_first"), [
    ("CN", False), ("US", False), ("JP", False), ("GB", True), ("DE", True), ("FR", True),
    ("SG", True), ("in", True), ("CA", None), (None, None)])
def test_the_teams_region_says_which_comes_first(region: str | None, day_first: bool | None
                                                 ) -> None:
    assert day_first_in(region) is day_first


@pytest.mark.parametrize(("phrase", "read", "other"), [
    ("call back 12/8 3pm", "2026-12-08 15:00", "2027-08-12 15:00"),
    ("3/4/2027", "2027-03-04 09:00", "2027-04-03 09:00"),
    ("8/13", "2027-08-13 09:00", None),  # only one way is a date: nothing to offer
    ("12/12", "2026-12-12 09:00", None),  # both ways the same day
    ("2026/12/8", "2026-12-08 09:00", None),
])
def test_where_the_order_is_not_known_the_other_reading_is_offered(
        phrase: str, read: str, other: str | None) -> None:
    """Part 5 of issue 26: a team whose region writes both orders (Canada) sees 12/8 read
    month first, and 12 August one tap away (the log card's 🔁 button)."""
    found = find_when(phrase, NOW, default_hour=DEFAULT_HOUR, day_first=day_first_in("CA"))
    assert found is not None and found.at.strftime("%Y-%m-%d %H:%M") == read
    shown = found.alternative.strftime("%Y-%m-%d %H:%M") if found.alternative else None
    assert shown == other
    assert find_when(phrase, NOW, default_hour=DEFAULT_HOUR, day_first=False).alternative is None


@pytest.mark.parametrize(("phrase", "month_first", "day_first"), [
    ("12/8", "2026-12-08", "2027-08-12"),  # 12 August 2026 has passed: the next one
    ("call back 12/8 3pm", "2026-12-08", "2027-08-12"),
    ("3/4/2027", "2027-03-04", "2027-04-03"),
    ("8/13", "2027-08-13", "2027-08-13"),  # only one way is a date
    ("13/8", "2027-08-13", "2027-08-13"),
    ("2026/12/8", "2026-12-08", "2026-12-08"),  # a year first: always year, month, day
    ("12月8日", "2026-12-08", "2026-12-08"),
])
def test_numeric_dates_in_the_teams_order(phrase: str, month_first: str, day_first: str
                                          ) -> None:
    for first_day, expected in ((False, month_first), (True, day_first)):
        found = find_when(phrase, NOW, default_hour=DEFAULT_HOUR, day_first=first_day)
        assert found is not None and found.at.strftime("%Y-%m-%d") == expected, first_day


def test_the_development_set_is_read_exactly() -> None:
    """tests/date_phrases.py's development set (the held-out one is for bench/dates.py)."""
    phrases = dev_set()
    assert len(phrases) >= 400
    missed = [(p.text, p.now, p.expected) for p in phrases
              if getattr(find_when(p.text, p.now, default_hour=DEFAULT_HOUR,
                                   day_first=p.day_first), "at", None) != p.expected]
    assert missed == []


@pytest.mark.parametrize(("phrase", "expected"), [
    # held-out misses of the first bench run (a short weekday, "at", a clock with am/pm)
    ("pls ping acme Wed at 7pm re quote", "2026-11-25 19:00"),
    ("Wed at 2pm: demo w/ Acme", "2026-11-25 14:00"),
    ("Sat @ 10am", "2026-11-21 10:00"),
])
def test_a_short_weekday_before_at_and_a_clock(phrase: str, expected: str) -> None:
    found = when(phrase)
    assert found is not None and found.strftime("%Y-%m-%d %H:%M") == expected


THURSDAY = datetime(2026, 11, 19, 10, 0, tzinfo=SHANGHAI)


@pytest.mark.parametrize(("phrase", "read", "offered"), [
    ("next Friday", "2026-11-20 09:00", "2026-11-27 09:00"),
    ("follow up next fri 2pm", "2026-11-20 14:00", "2026-11-27 14:00"),
    ("next Saturday", "2026-11-21 09:00", "2026-11-28 09:00"),
    ("next Monday", "2026-11-23 09:00", None),  # the coming Monday is next week's: one reading
    ("next Thursday", "2026-11-26 09:00", None),
    ("下周五", "2026-11-27 09:00", None),  # 下周 is the next calendar week, always
])
def test_next_weekday_later_this_week_offers_the_other_reading(
        phrase: str, read: str, offered: str | None) -> None:
    found = find_when(phrase, THURSDAY, default_hour=DEFAULT_HOUR)
    assert found is not None and found.at.strftime("%Y-%m-%d %H:%M") == read
    shown = found.alternative.strftime("%Y-%m-%d %H:%M") if found.alternative else None
    assert shown == offered


@settings(max_examples=200, deadline=None)
@given(now=nows, second=st.floats(min_value=0.001, max_value=59.999),
       count=st.integers(min_value=1, max_value=30), chinese=st.booleans())
def test_an_offset_said_within_a_minute_is_exact_to_the_second(
        now: datetime, second: float, count: int, chinese: bool) -> None:
    """"1分钟后" said at 05:40:59 is 05:41:59, not one second away (cut to the minute)."""
    said = now + timedelta(seconds=second)
    phrase = f"{count}分钟后" if chinese else f"in {count} minutes"
    assert when(phrase, said) == said + timedelta(minutes=count)

"""When a contact happened, when to follow up and what is a deadline, from one sentence."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.understanding.logs import contact_and_follow_up_times

SHANGHAI = ZoneInfo("Asia/Shanghai")
MORNING = datetime(2026, 11, 20, 10, 0, tzinfo=SHANGHAI)  # a Friday
LATE = datetime(2026, 11, 20, 23, 0, tzinfo=SHANGHAI)


def shown(moment: datetime | None) -> str | None:
    return None if moment is None else moment.strftime("%Y-%m-%d %H:%M")


@pytest.mark.parametrize(("sentence", "now", "occurred", "due", "deadline", "passed"), [
    # a deadline beside a follow-up: the follow-up is the other time
    ("月底前给答复，明天上午10点再打电话", MORNING, None, "2026-11-21 10:00",
     "2026-11-30 09:00", None),
    ("Acme wants a quote by Friday, call back Monday 10am", MORNING, None, "2026-11-23 10:00",
     "2026-11-27 09:00", None),
    ("before Dec 5 send samples, follow up tomorrow 3pm", MORNING, None, "2026-11-21 15:00",
     "2026-12-05 09:00", None),
    # a deadline alone is the day to follow up
    ("send the contract by Wednesday", MORNING, None, "2026-11-25 09:00", None, None),
    ("年底前签约", MORNING, None, "2026-12-31 09:00", None, None),
    # a follow-up time that passed today: the next one, and the card says so
    ("follow up tonight at 8", LATE, None, "2026-11-21 20:00", None, "2026-11-20 20:00"),
    ("拜访了王总，今晚8点跟进", LATE, None, "2026-11-21 20:00", None, "2026-11-20 20:00"),
    # ... but a time that passed without a follow-up word is when it happened
    ("今天上午9点拜访了王总", MORNING, "2026-11-20 09:00", None, None, None),
    ("今天下午3点跟进了", LATE, "2026-11-20 15:00", None, None, None),
    ("昨天下午拜访了王总，下周五跟进", MORNING, "2026-11-19 15:00", "2026-11-27 09:00", None,
     None),
])
def test_times_of_a_log(sentence: str, now: datetime, occurred: str | None, due: str | None,
                        deadline: str | None, passed: str | None) -> None:
    times = contact_and_follow_up_times(sentence, now, 9, logging=True)
    assert (shown(times.occurred), shown(times.due), shown(times.deadline),
            shown(times.passed)) == (occurred, due, deadline, passed)

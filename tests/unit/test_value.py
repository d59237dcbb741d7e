"""Customer value (RFM), the tier it suggests, and the churn rules, on plain facts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storage.sales.satisfaction import next_working_day
from storage.sales.value import Facts, _quintiles, assess, churn_reason, suggested_tier

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


def facts(customer_id: int = 1, *, purchases: int = 3, first_days: int = 200,
          last_days: int = 10, in_year: int = 3, year_minor: int = 100_000,
          last_quarter: int = 1, three_quarters_before: int = 2, **extra: object) -> Facts:
    return Facts(customer_id, 7, "normal", purchases, NOW - timedelta(days=first_days),
                 NOW - timedelta(days=last_days), in_year, year_minor, last_quarter,
                 three_quarters_before, **extra)  # type: ignore[arg-type]


def test_quintiles_rank_values_into_one_to_five_and_ties_share() -> None:
    assert _quintiles([10, 20, 30, 40, 50]) == [1, 2, 3, 4, 5]
    assert _quintiles([5, 5, 5, 5]) == [1, 1, 1, 1]
    assert _quintiles([1, 100]) == [1, 3]
    assert _quintiles([]) == []


def test_tier_from_the_summed_scores() -> None:
    assert [suggested_tier(s) for s in (15, 13, 12, 9, 8, 3)] == [
        "core", "core", "important", "important", "normal", "normal"]


def test_the_best_customer_is_suggested_core_and_the_weakest_normal() -> None:
    rows = assess([facts(1, last_days=5, in_year=12, year_minor=9_000_000),
                   facts(2, last_days=40, in_year=6, year_minor=3_000_000),
                   facts(3, last_days=60, in_year=4, year_minor=1_000_000),
                   facts(4, last_days=90, in_year=2, year_minor=500_000),
                   facts(5, last_days=300, in_year=1, year_minor=10_000)], NOW, 2.0)
    by_id = {row["customer_id"]: row for row in rows}
    assert (by_id[1]["r"], by_id[1]["f"], by_id[1]["m"]) == (5, 5, 5)
    assert by_id[1]["suggested_tier"] == "core"
    assert by_id[5]["suggested_tier"] == "normal"
    assert by_id[1]["recency_days"] == 5 and by_id[1]["monetary_minor"] == 9_000_000


def test_no_purchase_this_year_gets_no_tier_suggestion() -> None:
    [row] = assess([facts(in_year=0, year_minor=0, last_days=500, first_days=900)], NOW, 2.0)
    assert row["suggested_tier"] is None


def test_overdue_against_the_customers_own_interval() -> None:
    # 5 purchases over 120 days: every 30 days; the last 70 days ago is > 2 x 30.
    late = facts(purchases=5, first_days=190, last_days=70, three_quarters_before=0)
    assert churn_reason(late, NOW, 2.0) == {"rule": "overdue", "days": 70, "usual": 30}
    assert churn_reason(late, NOW, 3.0) is None
    on_time = facts(purchases=5, first_days=140, last_days=20, three_quarters_before=0)
    assert churn_reason(on_time, NOW, 2.0) is None
    two_only = facts(purchases=2, first_days=400, last_days=300, three_quarters_before=0)
    assert churn_reason(two_only, NOW, 2.0) is None  # too few to know their rhythm


def test_falling_purchases_per_quarter() -> None:
    falling = facts(purchases=20, first_days=370, last_days=5, last_quarter=1,
                    three_quarters_before=9)
    assert churn_reason(falling, NOW, 2.0) == {"rule": "falling", "now": 1, "before": 3.0}
    steady = facts(purchases=20, first_days=370, last_days=5, last_quarter=3,
                   three_quarters_before=9)
    assert churn_reason(steady, NOW, 2.0) is None


def test_complaints_and_low_scores_are_reasons_too() -> None:
    complained = facts(complaint_at=NOW - timedelta(days=3))
    assert churn_reason(complained, NOW, 2.0) == {"rule": "complaint", "on": "2026-11-17"}
    unhappy = facts(low_score=(2, NOW - timedelta(days=1)))
    assert churn_reason(unhappy, NOW, 2.0) == {"rule": "low_score", "score": 2,
                                               "on": "2026-11-19"}


def test_next_working_day_skips_the_weekend() -> None:
    friday = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)  # Friday 10:00 in Shanghai
    monday = next_working_day(friday, "Asia/Shanghai", 9)
    assert (monday.date().isoformat(), monday.hour) == ("2026-11-23", 9)
    assert next_working_day(friday - timedelta(days=1), "Asia/Shanghai", 9).date() \
        .isoformat() == "2026-11-20"

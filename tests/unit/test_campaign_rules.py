"""A campaign's pure parts: the lift's interval against a known table (the figures
statsmodels' Table2x2.riskratio_confint(method="normal") gives for the same counts), and
the template's wall: what it may hold, and its size."""

from __future__ import annotations

import pytest

from bot.mail.templates import BODY_LIMIT, checked, render
from storage.campaigns import relative_lift
from storage.errors import ValidationFailed


@pytest.mark.parametrize(("sent", "held", "ratio", "low", "high"), [
    ((120, 1000), (80, 1000), 1.5, 1.1462437014997973, 1.9629333596825858),
    ((60, 900), (4, 100), 5 / 3, 0.6187925328263829, 4.4890292471534226),
    ((45, 900), (5, 100), 1.0, 0.406349641575708, 2.460934864178261),
    ((30, 180), (12, 20), 5 / 18, 0.17110978515657416, 0.45094144532152114),
])
def test_the_lift_and_its_interval_match_a_known_table(
    sent: tuple[int, int], held: tuple[int, int], ratio: float, low: float, high: float
) -> None:
    lift = relative_lift(sent[0], sent[1], held[0], held[1])
    assert lift.estimate == pytest.approx(ratio - 1)
    assert lift.low == pytest.approx(low - 1, abs=1e-9)
    assert lift.high == pytest.approx(high - 1, abs=1e-9)
    assert lift.distinguishable is (low > 1 or high < 1)


def test_no_buyer_on_a_side_is_no_lift() -> None:
    assert relative_lift(0, 100, 3, 10).estimate is None
    assert relative_lift(5, 100, 0, 10).low is None
    assert not relative_lift(5, 100, 0, 10).distinguishable


def test_merge_fields_and_if_are_filled_in() -> None:
    template = checked("For {{ name|upper }}", "{% if company %}{{ company }}: {% endif %}"
                                               "hi {{ name }}, {{ owner|default('us') }}")
    assert render(template, {"name": "Li Wei", "company": "", "owner": ""}) == (
        "For LI WEI", "hi Li Wei, ")
    assert render(template, {"name": "Li", "company": "ACME", "owner": "Bob"})[1] == (
        "ACME: hi Li, Bob")


@pytest.mark.parametrize(("body", "said"), [
    ("{% for x in range(10**9) %}x{% endfor %}", "may not loop"),
    ("{% macro m() %}x{% endmacro %}", "text, merge fields and if"),
    ("{{ name.__class__.__mro__ }}", "may not read attributes"),
    ("{{ name['__class__'] }}", "may not read attributes"),
    ("{{ name|attr('__class__') }}", "The filter “{name}” is not allowed"),
    ("{{ lipsum.__globals__ }}", "may not read attributes"),
    ("{{ cycler() }}", "may not call"),
    ("{% include '/etc/passwd' %}", "may not include"),
    ("{% extends 'base.html' %}", "may not include"),
    ("{% import 'x' as y %}", "may not include"),
    ("{{ 'a'.format() }}", "may not"),
    ("{{ salary }}", "There is no merge field"),
    ("{% if name %}unclosed", "The template has an error"),
    ("x" * (BODY_LIMIT + 1), "The body is too long"),
    ("x" * 1_000_000, "The body is too long"),
    ("", "needs a subject and a body"),
])
def test_what_a_template_may_not_hold_is_refused_when_written(body: str, said: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        checked("Subject", body)
    assert said in refused.value.args[0]

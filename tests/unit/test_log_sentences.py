"""One-message logs as a whole, on both databases: the generated development set of
tests/log_sentences.py read field by field, and the families the held-out runs found."""

from __future__ import annotations

import pytest

from bot.understanding.sales import understand_purchase
from storage.customers import CustomerDraft, create_customer
from storage.database import Database
from storage.search.lookup import customers_mentioned
from tests.conftest import make_member
from tests.log_sentences import dev_set, score, seed_roster


async def test_the_development_set_is_read_whole(db: Database) -> None:
    actor = await make_member(db, 1, role="admin")
    async with db.unit_of_work() as session:
        await seed_roster(session, actor)
        wrong = []
        for sentence in dev_set():
            fields = await score(session, actor, sentence)
            if not all(fields.values()):
                wrong.append((sentence.text, [f for f, ok in fields.items() if not ok]))
    assert len(dev_set()) >= 300
    assert wrong == []


@pytest.mark.parametrize(("sentence", "customer"), [
    ("messaged Ms Chen - wants samples", "Mary Chen"),  # a Latin name ends with its surname
    ("rang Mr Smith, confirmed delivery", "John Smith"),
    ("电邮了Ms Chen，聊了新项目", "Mary Chen"),  # a Latin title glued to Chinese
    ("给Mr Smith发了消息", "John Smith"),
    ("Mr Li called about the quote", "Li Wei"),  # a Chinese name in letters: surname first
])
async def test_a_title_and_a_surname_name_the_customer(db: Database, sentence: str,
                                                       customer: str) -> None:
    actor = await make_member(db, 1, role="admin")
    async with db.unit_of_work() as session:
        await seed_roster(session, actor)
        await create_customer(session, CustomerDraft(name="Li Wei"), actor, default_region="CN")
        hits = await customers_mentioned(session, sentence, actor)
    assert [hit.name for hit in hits] == [customer]


@pytest.mark.parametrize(("sentence", "quantity", "product"), [
    ("刘总订了23台T300一共1.2万", 23, "T300"),  # a product in letters stops at Chinese
    ("Mr Smith ordered 20 units of CRM-Pro, total $4,800", 20, "CRM-Pro"),
    ("王总下单5套RX2 总价3万元", 5, "RX2"),
])
def test_the_product_is_its_own_name(sentence: str, quantity: int, product: str) -> None:
    words = understand_purchase(sentence, "CNY")
    assert (words.quantity, words.product) == (quantity, product)

"""Search over code, name, pinyin, company, phone digits, email and tags."""

from __future__ import annotations

import pytest

from storage.customers import CustomerDraft, add_tags, create_customer, load_customer
from storage.database import Database
from storage.search.lookup import customers_mentioned, search_customers
from storage.users import Actor, Visibility
from tests.conftest import make_member


async def seed(db: Database, actor: Actor) -> None:
    people = [
        CustomerDraft(name="王小明", phones=["13812345678"], company="ACME", region="上海"),
        CustomerDraft(name="王明", phones=["13900001111"], company="星辰科技"),
        CustomerDraft(name="李雷", emails=["lilei@example.com"], company="Hanmeimei Trading"),
        CustomerDraft(name="John Smith", phones=["+1 650 253 0000"], company="Acme Corp"),
        CustomerDraft(name="张伟", company="阿里巴巴", tags=["vip"]),
    ]
    async with db.unit_of_work() as session:
        for draft in people:
            await create_customer(session, draft, actor, default_region="CN")


@pytest.mark.parametrize(
    ("query", "first"),
    [
        ("王小明", "王小明"),
        ("wangxiaoming", "王小明"),
        ("wangxm", "王小明"),
        ("wxm", "王小明"),
        ("WXM", "王小明"),
        ("5678", "王小明"),
        ("138 1234 5678", "王小明"),
        ("+86 138-1234-5678", "王小明"),
        ("王明", "王明"),
        ("星辰", "王明"),
        ("lilei@", "李雷"),
        ("hanmeimei", "李雷"),
        ("john", "John Smith"),
        ("smith acme", "John Smith"),
        ("alibaba", "张伟"),
        ("vip", "张伟"),
        ("C-000003", "李雷"),
        ("c3", "李雷"),
        ("wm", "王明"),  # two letters: exact initials before initials that start so
        ("wx", "王小明"),
        ("王", "王明"),
        ("zw", "张伟"),
        ("王晓明", "王小明"),  # homophone through pinyin
        ("wangxiaomin", "王小明"),  # typo through the fuzzy fallback
    ],
)
async def test_query_finds_the_expected_customer_first(
    db: Database, query: str, first: str
) -> None:
    rep = await make_member(db, 1001)
    await seed(db, rep)
    async with db.unit_of_work() as session:
        hits = await search_customers(session, query, rep)
    assert hits, f"nothing found for {query!r}"
    assert hits[0].name == first


async def test_acme_ranks_company_prefix_and_finds_both(db: Database) -> None:
    rep = await make_member(db, 1001)
    await seed(db, rep)
    async with db.unit_of_work() as session:
        names = [h.name for h in await search_customers(session, "acme", rep)]
    assert sorted(names) == ["John Smith", "王小明"]


async def test_nothing_for_nonsense_and_hostile_queries(db: Database) -> None:
    rep = await make_member(db, 1001)
    await seed(db, rep)
    async with db.unit_of_work() as session:
        for query in ["zzzqqq", '"', "%", "_", "' OR 1=1 --", 'a" OR "b', "", "   ", "x" * 5000]:
            assert await search_customers(session, query, rep) == [], query


async def test_archived_hidden_and_own_policy_respected(db: Database) -> None:
    alice = await make_member(db, 1001, policy=Visibility.OWN)
    bob = await make_member(db, 1002, policy=Visibility.OWN)
    await seed(db, alice)
    async with db.unit_of_work() as session:
        assert await search_customers(session, "wxm", bob) == []
        assert [h.name for h in await search_customers(session, "wxm", alice)] == ["王小明"]


async def test_search_text_follows_changes(db: Database) -> None:
    rep = await make_member(db, 1001)
    await seed(db, rep)
    async with db.unit_of_work() as session:
        hit = (await search_customers(session, "李雷", rep))[0]
        await add_tags(session, await load_customer(session, hit.customer_id, rep), "golf", rep)
    async with db.unit_of_work() as session:
        assert [h.name for h in await search_customers(session, "golf", rep)] == ["李雷"]


async def test_many_matches_rank_the_exact_name_first(db: Database) -> None:
    """Only a few candidates are ranked in Python; SQL's rough order must keep the best."""
    rep = await make_member(db, 1001)
    async with db.unit_of_work() as session:
        for i in range(60):
            await create_customer(
                session, CustomerDraft(name=f"Acme Buyer {i}", company="Acme Trading"), rep,
                default_region="CN")
        await create_customer(session, CustomerDraft(name="Acme", company="Zeta"), rep,
                              default_region="CN")
        await create_customer(session, CustomerDraft(name="Li", company="Acme Trading",
                                                     phones=["13800005678"]), rep,
                              default_region="CN")
        by_name = await search_customers(session, "acme", rep)
        by_phone = await search_customers(session, "5678", rep)
    assert by_name[0].name == "Acme"
    assert [h.name for h in by_phone] == ["Li"]


async def test_who_a_sentence_names(db: Database) -> None:
    rep = await make_member(db, 1001)
    async with db.unit_of_work() as session:
        for draft in (CustomerDraft(name="王小明", company="ACME"),
                      CustomerDraft(name="王小明", company="Star"),
                      CustomerDraft(name="欧阳娜娜"), CustomerDraft(name="Li Wei"),
                      CustomerDraft(name="Li"), CustomerDraft(name="Mary 陈")):
            await create_customer(session, draft, rep, default_region="CN")

    async def named(text: str) -> list[str]:
        async with db.unit_of_work() as session:
            hits = await customers_mentioned(session, text, rep)
        return sorted(f"{h.name}/{h.company}" for h in hits)

    assert await named("今天和王小明通话，要报价") == ["王小明/ACME", "王小明/Star"]
    assert await named("和ACME的王小明通话") == ["王小明/ACME"]  # the company decides
    assert await named("和王晓明通话") == []  # same pinyin, another person
    assert await named("拜访了欧阳娜娜，下周跟进") == ["欧阳娜娜/None"]
    assert await named("met li wei at the fair, follow up") == ["Li Wei/None", "Li/None"]
    assert await named("follow up tomorrow") == []  # "li" inside a word is nobody
    assert await named("called Mary 陈 about the order") == ["Mary 陈/None"]
    assert await named("C-000003 拜访") == ["欧阳娜娜/None"]


async def test_a_sentence_names_a_customer_in_the_other_script(db: Database) -> None:
    rep = await make_member(db, 1001)
    async with db.unit_of_work() as session:
        for draft in (CustomerDraft(name="王小明", company="ACME"),
                      CustomerDraft(name="王晓明", company="Star"),
                      CustomerDraft(name="万刚", company="Globex"),
                      CustomerDraft(name="Li Wei", company="Initech"),
                      CustomerDraft(name="李维", company="Umbrella")):
            await create_customer(session, draft, rep, default_region="CN")

    async def named(text: str) -> list[str]:
        async with db.unit_of_work() as session:
            hits = await customers_mentioned(session, text, rep)
        return sorted(f"{h.name}/{h.company}" for h in hits)

    both = ["王小明/ACME", "王晓明/Star"]  # the same in pinyin: the member chooses
    assert await named("met wang xiaoming at the fair") == both
    assert await named("called Xiaoming Wang, follow up Friday") == both
    assert await named("Mr Wang from ACME called") == ["王小明/ACME"]
    # "wan" begins every wang's pinyin; only 万 (wan) is that surname.
    assert await named("met Mr. Wan yesterday") == ["万刚/Globex"]
    assert await named("和李伟通话，要报价") == ["Li Wei/Initech"]  # not 李维, who sounds so
    assert await named("和李维通话") == ["李维/Umbrella"]
    assert await named("lunch with wangxiaoming") == both


# Sentences and whom they name, across scripts; the customers are the test's below.
ACROSS_SCRIPTS = [
    ("met wang xiaoming at the fair", ["王小明", "王晓明"]),
    ("called Xiaoming Wang about the quote", ["王小明", "王晓明"]),
    ("Mr Wang from ACME called", ["王小明"]),
    ("Ms Wang of Star wants a demo", ["王晓明"]),
    ("visited Ouyang Nana in Shanghai", ["欧阳娜娜"]),
    ("emailed nana ouyang the contract", ["欧阳娜娜"]),
    ("Ms Ouyang asked for a discount", ["欧阳娜娜"]),
    ("lunch with zhang wei, follow up friday", ["张伟"]),
    ("Wei Zhang texted back", ["张伟"]),
    ("Mr Zhang from Globex wants samples", ["张伟"]),
    ("Dr. Chen called", ["陈静"]),
    ("met chen jing at the expo", ["陈静"]),
    ("Jing Chen will visit next week", ["陈静"]),
    ("called Mr Wan about the invoice", ["万刚"]),
    ("wan gang paid", ["万刚"]),
    ("和李伟通话，要报价", ["Li Wei"]),
    ("拜访了李伟", ["Li Wei"]),
    ("和李维通话", ["李维"]),
    ("给玛丽打电话", []),  # Mary is not 玛丽 in pinyin (mali)
    ("call Mary Chen tomorrow", ["Mary 陈"]),
    ("和张伟见面，下周跟进", ["张伟"]),
    ("拜访王总", ["王小明", "王晓明"]),
    ("ACME的王总来电", ["王小明"]),
    ("万总说下月付款", ["万刚"]),
    ("met li wei at Initech", ["Li Wei"]),
    ("Wei Li signed", ["Li Wei", "李维"]),  # either, in pinyin
    ("called Mr Li", ["Li Wei", "李维"]),
    ("follow up tomorrow", []),
    ("met Mr Smith", []),
    ("sent the quote to wangxiaoming", ["王小明", "王晓明"]),
    ("ouyangnana confirmed", ["欧阳娜娜"]),
    ("zhangwei ordered 3", ["张伟"]),
]


async def test_a_table_of_sentences_across_scripts(db: Database) -> None:
    rep = await make_member(db, 1001)
    async with db.unit_of_work() as session:
        for name, company in (("王小明", "ACME"), ("王晓明", "Star"), ("欧阳娜娜", None),
                              ("张伟", "Globex"), ("陈静", None), ("万刚", None),
                              ("Li Wei", "Initech"), ("李维", None), ("Mary 陈", None)):
            await create_customer(session, CustomerDraft(name=name, company=company), rep,
                                  default_region="CN")
    wrong = []
    for sentence, expected in ACROSS_SCRIPTS:
        async with db.unit_of_work() as session:
            found = sorted(h.name for h in await customers_mentioned(session, sentence, rep))
        if found != sorted(expected):
            wrong.append((sentence, found, expected))
    assert len(ACROSS_SCRIPTS) >= 30
    assert wrong == [], "\n".join(map(str, wrong))


async def bulk_inserted(db: Database, people: list[tuple[str, str | None, str]]) -> list[int]:
    """(name, company, pinyin) inserted as an import's batch inserts them: ids reserved,
    search text made without the code, then given it."""
    from storage.clock import utcnow
    from storage.imports.writer import reserve_ids
    from storage.search.lookup import insert_customers, search_text_without_code, with_code

    now = utcnow()
    async with db.unit_of_work() as session:
        ids = await reserve_ids(session, len(people))
        await insert_customers(session, [
            {"id": customer_id, "name": name, "company": company, "tier": "normal",
             "stage": "lead", "created_at": now, "updated_at": now, "archived": False,
             "name_pinyin": pinyin, "name_initials": "", "search_text": with_code(
                 search_text_without_code(name=name, company=company, region=None,
                                          phones=[], emails=[], tags=[], title=None,
                                          handles=[]), customer_id)}
            for customer_id, (name, company, pinyin) in zip(ids, people, strict=True)])
    return ids


async def test_bulk_inserted_customers_are_found_and_later_ones_too(db: Database) -> None:
    """An import's batches write their rows' terms themselves; a customer added after the
    batch gets its terms when its unit of work flushes."""
    rep = await make_member(db, 1001)
    await bulk_inserted(db, [("欧阳娜娜", "星海贸易有限公司", "ouyangnana"),
                             ("Dana Scully", "Bureau", "danascully")])
    await seed(db, rep)
    async with db.unit_of_work() as session:
        assert [h.name for h in await search_customers(session, "星海贸易", rep)] == ["欧阳娜娜"]
        assert [h.name for h in await search_customers(session, "scully", rep)] == [
            "Dana Scully"]
        assert [h.name for h in await search_customers(session, "hanmeimei", rep)] == ["李雷"]
        assert [h.name for h in await search_customers(session, "yangnana", rep)] == [
            "欧阳娜娜"]  # from the second syllable of the name
        assert [h.name for h in await search_customers(session, "maoyi", rep)] == [
            "欧阳娜娜"]  # and of the company


async def test_a_deleted_customers_terms_go_with_it_and_nul_never_lands(db: Database
                                                                       ) -> None:
    """PostgreSQL keeps the terms in step by a trigger, SQLite by its foreign key; the
    bulk path takes NUL out of text as the engine's guard does for other statements."""
    from sqlalchemy import delete, func, select

    from storage.models import Customer, search_terms

    rep = await make_member(db, 1001)
    ids = await bulk_inserted(db, [(name, None, "") for name in (
        "Nul\x00la Tesla", "Ada Lovelace", "Alan Turing")] + [
        ("Abc\x00", "Abc", "")])  # its name's term without NUL is its company's term
    async with db.unit_of_work() as session:
        await session.execute(delete(Customer).where(Customer.id == ids[1]))

    async def terms_of(customer_id: int) -> int:
        async with db.unit_of_work() as session:
            return int(await session.scalar(select(func.count()).select_from(search_terms)
                                             .where(search_terms.c.customer_id == customer_id))
                       or 0)

    assert await terms_of(ids[1]) == 0
    assert await terms_of(ids[2]) > 5
    async with db.unit_of_work() as session:
        assert [h.name for h in await search_customers(session, "turing", rep)] == [
            "Alan Turing"]
        assert await search_customers(session, "lovelace", rep) == []
        assert [h.name for h in await search_customers(session, "nulla", rep)] == [
            "Nulla Tesla"]


def test_an_imports_terms_and_its_codes_are_the_terms_of_the_whole_text() -> None:
    """The worker makes the terms before the id exists; the code's are added on insert."""
    from storage.search.lookup import code_terms, search_text_without_code, terms_of, with_code

    text = search_text_without_code(
        name="王小明", company="星辰科技", region="上海", phones=["+8613812345678"],
        emails=["wxm@xingchen.cn"], tags=["vip"], title="经理", handles=["wxm88"])
    for customer_id in (1, 12, 123, 999_999, 1_234_567):
        assert terms_of(with_code(text, customer_id)) == terms_of(text) | code_terms(customer_id)

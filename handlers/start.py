"""Welcome, help and language."""

from __future__ import annotations

import re
from html import escape
from typing import Any

from telegram import BotCommand, InlineKeyboardMarkup, MenuButtonWebApp, Update, WebAppInfo
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.messages.i18n import LANGUAGES, N_, translator
from bot.messages.keyboards import button
from bot.runtime.context import RUNTIME, BotContext
from handlers.common import acknowledge, expired_button, say
from handlers.customers import show_card
from storage import users
from storage.customers import load_customer

CARD_LINK = re.compile(r"c(\d{1,10})")

COMMANDS: list[tuple[str, str]] = [
    ("add", N_("Add a customer")),
    ("find", N_("Find a customer by name, pinyin, phone, company or tag")),
    ("log", N_("Log a call or visit: /log 王小明 打电话，下周五跟进")),
    ("remind", N_("Set a follow-up: /remind 王小明 明天下午3点 发报价")),
    ("buy", N_("Log a purchase: /buy 王小明 20 台 X1 共 4.8 万")),
    ("paid", N_("Log money received: /paid 王小明 10万")),
    ("receivables", N_("What customers still owe, by how late it is")),
    ("deal", N_("Open a deal: /deal 王小明 X1 项目 预计 30 万 下月底签")),
    ("pipeline", N_("Deals by stage, with counts and sums")),
    ("stats", N_("The numbers and charts: regions, purchases, pipeline, tiers, activity")),
    ("segment", N_("Save a filter by name: /segment 上海核心 tier:core region:上海")),
    ("segments", N_("Saved filters: their customers, export and numbers")),
    ("followups", N_("Follow-ups overdue, today and this week")),
    ("nudges", N_("Records that need a look (gone quiet, unconfirmed)")),
    ("dupes", N_("Likely duplicates, merged with one tap")),
    ("quality", N_("Missing phones, emails, companies and regions")),
    ("history", N_("Who changed a record: /history C-000123")),
    ("team", N_("The team and its numbers (managers)")),
    ("me", N_("Your targets and how far you are")),
    ("campaign", N_("Email a segment: written here, previewed, sent once (managers)")),
    ("campaigns", N_("Campaigns sent and their measured effect")),
    ("targets", N_("The team's targets and attainment; /target sets one (managers)")),
    ("teamgroup", N_("In the team's group: post your Monday summary there (managers)")),
    ("invite", N_("Invite a colleague")),
    ("export", N_("Customers as an Excel file: /export tag:展会 tier:core quiet:30 csv")),
    ("imports", N_("Import a table: send an .xlsx, .xls, .ods or .csv file (managers)")),
    ("erase", N_("Erase a customer on request (admins)")),
    ("backup", N_("Get a backup of the database (admins)")),
    ("calendar", N_("Your follow-ups in your phone's calendar")),
    ("tz", N_("Your time zone")),
    ("lang", N_("Change language")),
    ("cancel", N_("Stop what you are doing")),
    ("help", N_("What I can do")),
]


def help_text(context: BotContext) -> str:
    t = context.t
    lines = [t("<b>What I can do</b>")]
    lines += [f"/{name} — {t(description)}" for name, description in COMMANDS]
    lines.append("")
    lines.append(t("Or just type a name, a phone number or a company and I will look it up."))
    lines.append(t("Quick add in one line: /add 王小明 138 1234 5678 ACME 上海"))
    lines.append(t("Send a photo of a business card to add its owner. In any other chat, type "
                   "@{bot} and a name to share a customer's card.").format(
                       bot=context.bot.username))
    return "\n".join(lines)


async def start(update: Update, context: BotContext) -> None:
    """Welcome; with "c<id>" (an event's link back from the calendar), that card."""
    opened = CARD_LINK.fullmatch(context.args[0]) if context.args else None
    if opened is not None:
        async with context.unit_of_work() as session:
            customer = await load_customer(session, int(opened.group(1)), context.member)
            await show_card(session, update, context, customer)
        return
    name = context.member.display_name
    await say(update, context, context.t("Welcome, {name}! I keep your team's customers.").format(
        name=escape(name)) + "\n\n" + help_text(context))


async def show_help(update: Update, context: BotContext) -> None:
    await say(update, context, help_text(context))


async def choose_language(update: Update, context: BotContext) -> None:
    markup = InlineKeyboardMarkup([[button(n, f"lang:{code}") for code, n in LANGUAGES.items()]])
    await say(update, context, context.t("Choose your language:"), markup)


async def set_language(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None
    language = query.data.split(":", 1)[1]
    if language not in LANGUAGES:
        await expired_button(update, context)
        return
    async with context.unit_of_work() as session:
        await users.set_language(session, context.member.user_id, language)
    await acknowledge(update)
    await say(update, context, translator(language)(N_("I will speak English from now on.")),
              edit=True)


async def publish_commands(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """The command menu Telegram shows, in English by default and in Chinese for zh users;
    and, when the Mini App has an address, the menu button that opens it."""
    for language, code in (("en", None), ("zh_CN", "zh")):
        t = translator(language)
        await app.bot.set_my_commands(
            [BotCommand(name, t(description)) for name, description in COMMANDS],
            language_code=code,
        )
    url = app.bot_data[RUNTIME].settings.webapp.url
    if url:
        await app.bot.set_chat_menu_button(menu_button=MenuButtonWebApp("CRM", WebAppInfo(url)))


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CommandHandler("help", show_help))
    app.add_handler(CommandHandler("lang", choose_language))
    app.add_handler(CallbackQueryHandler(set_language, pattern=r"^lang:"))

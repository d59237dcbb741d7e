"""The customer's survey page, /s/<token>: no login, one small server-rendered form (no
script at all), in the survey's language, answered once.

Every way a link can be wrong (answered, expired, forged, never made) gets the same 404
page, so the page tells nothing about whether a survey existed, nor anything about other
customers: it names no customer at all. A wrong field gets the form back with what to
fix, and nothing is stored. Its words live in the chat's catalog like the Mini App's.
"""

from __future__ import annotations

from html import escape

from aiohttp import web
from aiohttp.web_request import FileField
from multidict import MultiDictProxy

from bot.messages.errors import error_text
from bot.messages.i18n import N_, Translate, translator
from storage.database import Database
from storage.errors import ValidationFailed
from storage.surveys import (
    COMMENT_LIMIT,
    PATH,
    answer_survey,
    checked_answer,
    open_survey,
)

# Our own stylesheet and the form posting back here; nothing else, no script.
CSP = ("default-src 'none'; style-src 'self'; img-src 'none'; base-uri 'none'; "
       "form-action 'self'; frame-ancestors 'none'")

TITLE = N_("How did we do?")
STARS = N_("How satisfied are you? (1 = not at all, 5 = very)")
RECOMMEND = N_("How likely are you to recommend us to a friend? (0-10, optional)")
COMMENT = N_("Anything you would like to tell us? (optional)")
SEND = N_("Send")
THANKS = N_("Thank you! Your answer has been received.")
TOO_LONG = N_("The comment is too long: at most {limit} characters.")
GONE = N_("This link is not valid. It may have been used already or have expired.")


def customer_page(t: Translate, language: str, body: str, status: int = 200, *,
                  title: str = TITLE) -> web.Response:
    """A page for a customer (no login, no script): this survey's, and the unsubscribe
    page's (webapp/unsubscribe.py)."""
    lang = "zh-CN" if language.startswith("zh") else "en"
    html = (f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<title>{escape(t(title))}</title>'
            '<link rel="stylesheet" href="/app/static/survey.css"></head>'
            f'<body><main><h1>{escape(t(title))}</h1>{body}</main></body></html>')
    response = web.Response(text=html, status=status, content_type="text/html")
    response.headers["Content-Security-Policy"] = CSP
    # With "no-referrer" (the Mini App's) a browser posts the form with "Origin: null",
    # which the server refuses as another origin; "same-origin" still sends no referrer
    # to any other site.
    response.headers["Referrer-Policy"] = "same-origin"
    return response


def _form(t: Translate, token: str, problem: str = "") -> str:
    stars = "".join(
        f'<label class="star"><input type="radio" name="stars" value="{n}" required>'
        f'<span>{n}★</span></label>' for n in range(1, 6))
    scale = "".join(
        f'<label class="nps"><input type="radio" name="recommend" value="{n}">'
        f'<span>{n}</span></label>' for n in range(11))
    warning = f'<p class="problem" role="alert">{escape(problem)}</p>' if problem else ""
    return (f'{warning}<form method="post" action="{PATH}{escape(token)}">'
            f'<fieldset><legend>{escape(t(STARS))}</legend>{stars}</fieldset>'
            f'<fieldset><legend>{escape(t(RECOMMEND))}</legend>{scale}</fieldset>'
            f'<label for="comment">{escape(t(COMMENT))}</label>'
            f'<textarea id="comment" name="comment" rows="4" maxlength="{COMMENT_LIMIT}">'
            '</textarea>'
            f'<button type="submit">{escape(t(SEND))}</button></form>')


def _gone(language: str = "en") -> web.Response:
    t = translator(language)
    return customer_page(t, language, f"<p>{escape(t(GONE))}</p>", 404)


class SurveyPages:
    def __init__(self, database: Database, team_language: str) -> None:
        self.database, self.team_language = database, team_language

    def add_to(self, app: web.Application) -> None:
        app.router.add_get(PATH + "{token}", self.show)
        app.router.add_post(PATH + "{token}", self.answer)

    async def show(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        async with self.database.unit_of_work(settles=False) as session:
            survey = await open_survey(session, token)
        if survey is None:
            return _gone(self.team_language)
        return customer_page(translator(survey.language), survey.language,
                     _form(translator(survey.language), token))

    async def answer(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        try:
            form: MultiDictProxy[str | bytes | bytearray | FileField] | None = await request.post()
        except web.HTTPRequestEntityTooLarge:
            form = None  # a comment far over the limit: the form again, saying so
        async with self.database.unit_of_work() as session:
            survey = await open_survey(session, token)
            if survey is None:
                return _gone(self.team_language)
            t = translator(survey.language)
            if form is None:
                return customer_page(t, survey.language, _form(t, token, t(TOO_LONG).format(
                    limit=COMMENT_LIMIT)), 400)
            try:
                answer = checked_answer(_field(form, "stars"), _field(form, "recommend"),
                                        _field(form, "comment"))
            except ValidationFailed as error:
                return customer_page(t, survey.language, _form(t, token, error_text(error, t)), 400)
            if not await answer_survey(session, survey, answer):
                return _gone(survey.language)
        return customer_page(t, survey.language, f'<p class="thanks">{escape(t(THANKS))}</p>')


def _field(form: MultiDictProxy[str | bytes | bytearray | FileField], name: str) -> str | None:
    """A text field of the form; a file or bytes under that name is no answer."""
    value = form.get(name)
    return value if isinstance(value, str) else None

"""`salesbot console`: the same Application in a terminal, buttons as numbered choices."""

from __future__ import annotations

import asyncio
import re
import shlex
import sys
from pathlib import Path
from typing import TextIO

from bot.process.app import build_application
from bot.process.transports.fakeapi import BotMessage, FakeBotApi
from bot.process.transports.inprocess import InProcessRequest, deliver_pending
from bot.runtime.config import Settings
from storage.database import Database

HELP = """Type as you would in Telegram. A number presses that button of the last message.
  !contact +8613812345678 Xiaoming Wang   share a phone contact
  !file path/to/card.vcf                  send a file
  !quit                                   leave (Ctrl-D works too)"""


def render(message: BotMessage, edited: bool) -> str:
    head = "bot (edited)" if edited else "bot"
    body = message.text
    if message.document:
        body = f"[file {message.document['file_name']}]" + (f"\n{body}" if body else "")
    elif message.photo:
        size = f"{message.photo['width']}×{message.photo['height']}"
        body = f"[picture {size}, {message.photo['file_size'] // 1024} KB]" + (
            f"\n{body}" if body else "")
    elif message.contact:
        body = f"[contact {message.contact['first_name']} {message.contact['phone_number']}]"
    lines = [f"{head}> " + body.replace("\n", "\n     ")]
    number = 1
    for row in message.buttons:
        cells = []
        for text, _ in row:
            cells.append(f"[{number}] {text}")
            number += 1
        lines.append("     " + "  ".join(cells))
    return "\n".join(lines)


class Console:
    def __init__(self, settings: Settings, out: TextIO = sys.stdout) -> None:
        # Whoever runs the console owns the machine and the database: they are an admin.
        team = settings.team.model_copy(
            update={"admins": [*settings.team.admins, settings.console.user_id]}
        )
        self.settings = settings.model_copy(update={"team": team})
        self.out = out
        self.api = FakeBotApi()
        self.person = self.api.user(
            settings.console.user_id, settings.console.name,
            "zh-hans" if settings.console.language == "zh_CN" else "en",
        )
        self.api.on_bot_message = lambda m, edited: print(render(m, edited), file=self.out)
        self.last_with_buttons: BotMessage | None = None

    def buttons_of_last(self) -> list[str]:
        messages = [m for m in self.api.chat(self.person.id) if m.buttons]
        if not messages:
            return []
        self.last_with_buttons = messages[-1]
        return [data for row in messages[-1].buttons for _, data in row]

    def queue(self, line: str) -> bool:
        """Turns one typed line into an update; False when the user wants to leave."""
        line = line.strip()
        if line in ("!quit", "!exit"):
            return False
        if line.startswith("!contact"):
            words = shlex.split(line)[1:]
            if not words:
                print("usage: !contact PHONE [FIRST [LAST]]", file=self.out)
                return True
            first = words[1] if len(words) > 1 else ""
            last = " ".join(words[2:]) or None
            self.api.user_shares_contact(self.person, words[0], first, last)
        elif line.startswith("!file"):
            path = Path(line[5:].strip()).expanduser()
            try:
                self.api.user_sends_document(self.person, path.name, path.read_bytes(),
                                             "text/vcard" if path.suffix == ".vcf" else
                                             "application/octet-stream")
            except OSError as error:
                print(f"cannot read {path}: {error.strerror}", file=self.out)
        elif re.fullmatch(r"\d{1,2}", line) and self.buttons_of_last():
            choices = self.buttons_of_last()
            index = int(line) - 1
            if 0 <= index < len(choices) and self.last_with_buttons is not None:
                self.api.user_presses(self.person, self.last_with_buttons, choices[index])
            else:
                print(f"there is no button {line}", file=self.out)
        elif line:
            self.api.user_sends(self.person, line)
        return True

    async def run(self, lines: TextIO = sys.stdin) -> None:
        database = Database(self.settings.database.url)
        app = build_application(self.settings, database, request=InProcessRequest(self.api),
                                rate_limit=False)
        interactive = lines.isatty()
        print(f"salesbot console — database {self.settings.database.shown_url}\n{HELP}",
              file=self.out)
        async with app:
            if app.post_init is not None:
                await app.post_init(app)
            await app.start()
            try:
                self.api.user_sends(self.person, "/start")
                await deliver_pending(app, self.api)
                while True:
                    if interactive:
                        print("you> ", end="", file=self.out, flush=True)
                    line = await asyncio.to_thread(lines.readline)
                    if not line:
                        break
                    if not interactive:
                        print(f"you> {line.rstrip()}", file=self.out)
                    if not self.queue(line):
                        break
                    await deliver_pending(app, self.api)
            finally:
                await app.stop()
        await database.dispose()

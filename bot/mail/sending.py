"""One message to one customer through the team's SMTP server (aiosmtplib, on the event
loop: the connection waits on the network, never on the CPU).

Each message carries RFC 8058's one-click unsubscribe: `List-Unsubscribe` with the https
link (and nothing else: a mailto would need a mailbox someone reads) and
`List-Unsubscribe-Post: List-Unsubscribe=One-Click`, so a mail client's "unsubscribe"
posts to the link without the customer opening anything. The connection is encrypted
(STARTTLS or TLS) unless `email.allow_plaintext` says a plain relay on this machine is
meant (bot/runtime/config.py).

What can go wrong is told apart, because each calls for something else: the server
refused this one address (`Refused`: the address is bouncing, the campaign goes on), or
the server is down, slow or refused the login (`Unavailable`: the campaign pauses, and
says why, and nothing is lost).
"""

from __future__ import annotations

from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid

import aiosmtplib

from bot.runtime.config import EmailSettings


class Refused(Exception):
    """The server refused this recipient."""


class Unavailable(Exception):
    """The server could not be used at all: down, or the login was refused. Nothing of
    this message was handed over."""


class Uncertain(Unavailable):
    """The connection broke or timed out while the message was being handed over: it may
    have arrived. Never to be sent again (at most once)."""


def message(settings: EmailSettings, to: str, subject: str, body: str, unsubscribe: str
            ) -> EmailMessage:
    sent = EmailMessage()
    sent["From"] = formataddr((settings.from_name, settings.from_address)) \
        if settings.from_name else settings.from_address
    sent["To"] = to
    sent["Subject"] = subject
    sent["Date"] = formatdate(usegmt=True)
    sent["Message-ID"] = make_msgid(domain=Address(addr_spec=settings.from_address).domain)
    sent["List-Unsubscribe"] = f"<{unsubscribe}>"
    sent["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    sent.set_content(body)
    return sent


class Mailer:
    """One connection, opened on the first message and kept while a campaign sends."""

    def __init__(self, settings: EmailSettings) -> None:
        self.settings = settings
        self.client: aiosmtplib.SMTP | None = None

    async def _connected(self) -> aiosmtplib.SMTP:
        if self.client is not None and self.client.is_connected:
            return self.client
        s = self.settings
        client = aiosmtplib.SMTP(
            hostname=s.host, port=s.port, timeout=s.timeout_seconds,
            use_tls=s.security == "tls", start_tls=s.security == "starttls")
        try:
            await client.connect()
            if s.username:
                await client.login(s.username, s.password)
        except aiosmtplib.SMTPAuthenticationError as error:
            client.close()
            raise Unavailable(f"the server refused the login ({error.code})") from error
        except (aiosmtplib.SMTPException, OSError) as error:
            client.close()
            raise Unavailable(f"could not connect to {s.host}:{s.port}: {error}") from error
        self.client = client
        return client

    async def send(self, sent: EmailMessage) -> None:
        client = await self._connected()
        try:
            await client.send_message(sent)
        except aiosmtplib.SMTPRecipientsRefused as error:
            if all(500 <= refused.code < 600 for refused in error.recipients):
                raise Refused(str(error)[:300]) from error
            await self.close()  # 4xx: not now, not refused; nothing was handed over
            raise Unavailable(str(error)[:300]) from error
        except aiosmtplib.SMTPRecipientRefused as error:
            if 500 <= error.code < 600:
                raise Refused(f"{error.code} {error.message}"[:300]) from error
            await self.close()
            raise Unavailable(f"{error.code} {error.message}"[:300]) from error
        except aiosmtplib.SMTPResponseException as error:  # an answer: it was not taken
            await self.close()
            raise Unavailable(f"{error.code} {error.message}"[:300]) from error
        except (aiosmtplib.SMTPTimeoutError, aiosmtplib.SMTPServerDisconnected,
                OSError) as error:
            await self.close()
            raise Uncertain(f"the server stopped answering: {error}"[:300]) from error
        except aiosmtplib.SMTPException as error:
            await self.close()
            raise Unavailable(str(error)[:300]) from error

    async def close(self) -> None:
        if self.client is not None:
            try:
                if self.client.is_connected:
                    await self.client.quit()
            except (aiosmtplib.SMTPException, OSError):
                self.client.close()
            self.client = None

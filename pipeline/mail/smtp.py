"""One SMTP connection that sends many messages: STARTTLS or implicit TLS, AUTH, and a precise end of DATA.

`send` tells apart what happened to each message, which the send log needs:
a 2xx reply (delivered), a 4xx (try again later), a 5xx (refused), a connection
lost before the message's last line (the server drops it: safe to send again), and
a connection lost after it (the server may have taken it: *uncertain*). The caller's
`before_end` runs just before that last line leaves, to record the message as sending.

Two things keep a connection from waiting on itself. TCP_NODELAY: a message's last
line is a small write right after a large one, which Nagle's algorithm holds back
until the server acknowledges the large one, and the server delays that ACK (up to
40 ms on Linux) because it has nothing to answer yet; that alone capped a connection
at about 25 messages a second. And PIPELINING (RFC 2920), where the server offers
it: MAIL FROM, RCPT TO and DATA leave in one write and their three replies are read
after, one round trip instead of three.
"""

from __future__ import annotations

import contextlib
import os
import smtplib
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass

from pipeline.config import SmtpOptions
from pipeline.errors import MailError


def dot_stuffed(message: bytes) -> bytes:
    """The message as DATA carries it (RFC 5321 4.5.2): a line that begins with a dot gets a second one.

    bytes.replace, not a multiline regex: on a 50 KB newsletter that was 0.3 ms of each message's
    CPU, half of what its RSA signature costs.
    """
    stuffed = message.replace(b"\n.", b"\n..")
    return b"." + stuffed if stuffed.startswith(b".") else stuffed


class TemporaryFailure(Exception):
    """A 4xx reply: the server asks to try again later."""

    def __init__(self, code: int, reply: str):
        super().__init__(f"{code} {reply}")
        self.code, self.reply = code, reply


class PermanentFailure(Exception):
    """A 5xx reply for this recipient or message."""

    def __init__(self, code: int, reply: str):
        super().__init__(f"{code} {reply}")
        self.code, self.reply = code, reply


class LostBeforeEnd(Exception):
    """The connection broke before the message was complete: the server discards it."""


class LostAfterEnd(Exception):
    """The connection broke after the message was complete and before the reply: it may have been delivered."""


class Cancelled(Exception):
    """`before_end` said not to finish this message (the recipient unsubscribed meanwhile)."""


@dataclass(frozen=True)
class Server:
    host: str
    port: int
    security: str
    username: str
    password: str
    timeout: float
    ca_file: str = ""

    @classmethod
    def from_options(cls, options: SmtpOptions, password: str) -> Server:
        return cls(options.host, options.port, options.security, options.username, password, options.timeout,
                   options.ca_file)

    def tls_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=self.ca_file or None)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        return context


def password(options: SmtpOptions) -> str:
    """The SMTP password from the environment variable `smtp.password_env` names ("" without a username)."""
    if not options.username:
        return ""
    value = os.environ.get(options.password_env, "")
    if not value:
        raise MailError(f"smtp.username is {options.username!r} but the environment variable "
                        f"{options.password_env} (smtp.password_env) is empty: set it to the SMTP password")
    return value


def _text(reply: bytes | str) -> str:
    return (reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply).replace("\n", " ").strip()


class Connection:
    """An open, authenticated SMTP session; `send` may be called many times."""

    def __init__(self, server: Server):
        self.server = server
        self.sent = 0
        self.pipelining = False
        where = f"{server.host}:{server.port}"
        try:
            if server.security == "tls":
                self.smtp: smtplib.SMTP = smtplib.SMTP_SSL(server.host, server.port, timeout=server.timeout,
                                                           context=server.tls_context())
            else:
                self.smtp = smtplib.SMTP(server.host, server.port, timeout=server.timeout)
            # The option belongs to the socket, so it holds through STARTTLS too (see the module doc).
            self.smtp.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.smtp.ehlo()
            if server.security == "starttls":
                if not self.smtp.has_extn("starttls"):
                    raise MailError(f"the SMTP server {where} does not offer STARTTLS: set smtp.security "
                                    "(tls for port 465) or use your provider's submission port 587")
                self.smtp.starttls(context=server.tls_context())
                self.smtp.ehlo()
            if server.username:
                self.smtp.login(server.username, server.password)
            self.pipelining = self.smtp.has_extn("pipelining")
        except smtplib.SMTPAuthenticationError as exc:
            self.close()
            raise MailError(f"the SMTP server {where} refused the login of {server.username!r} ({exc.smtp_code} "
                            f"{_text(exc.smtp_error)}): check smtp.username and the password in the environment "
                            "variable smtp.password_env names") from None
        except ssl.SSLError as exc:
            self.close()
            raise MailError(f"TLS with the SMTP server {where} failed ({exc.reason or exc}): check smtp.security, "
                            "smtp.port and smtp.ca_file") from None
        except (OSError, smtplib.SMTPException) as exc:
            self.close()
            raise MailError(f"cannot reach the SMTP server {where} ({exc}): check smtp.host and smtp.port in "
                            "crebis.toml, and that the server is up") from None

    def close(self) -> None:
        smtp = getattr(self, "smtp", None)
        if smtp is None:
            return
        with contextlib.suppress(Exception):
            smtp.quit()
        with contextlib.suppress(Exception):
            smtp.close()

    def _check(self, code: int, reply: bytes, step: str) -> None:
        if 200 <= code < 400:
            return
        with contextlib.suppress(Exception):
            self.smtp.rset()
        if 400 <= code < 500 or code == -1:
            raise TemporaryFailure(code, f"{step}: {_text(reply)}")
        raise PermanentFailure(code, f"{step}: {_text(reply)}")

    def _envelope(self, sender: str, recipient: str) -> None:
        """MAIL FROM, RCPT TO and DATA, pipelined when the server offers it; returns once DATA got its 354."""
        if not self.pipelining:
            code, reply = self.smtp.mail(sender)
            self._check(code, reply, "MAIL FROM")
            code, reply = self.smtp.rcpt(recipient)
            self._check(code, reply, "RCPT TO")
            code, reply = self.smtp.docmd("DATA")
            if code != 354:
                self._check(code if code >= 400 else 554, reply, "DATA")
            return
        self.smtp.send(f"MAIL FROM:{smtplib.quoteaddr(sender)}\r\nRCPT TO:{smtplib.quoteaddr(recipient)}\r\n"
                       "DATA\r\n")
        # Every reply is read before acting on any, or the next command would read a stale one.
        replies = [self.smtp.getreply() for _ in range(3)]
        (mail_code, mail_reply), (rcpt_code, rcpt_reply), (data_code, data_reply) = replies
        if data_code == 354 and not (200 <= mail_code < 300 and 200 <= rcpt_code < 300):
            # A server that opens DATA after refusing the envelope: leave the message unfinished (the
            # server discards it) and the connection with it, before saying why.
            self.close()
        self._check(mail_code, mail_reply, "MAIL FROM")
        self._check(rcpt_code, rcpt_reply, "RCPT TO")
        if data_code != 354:
            self._check(data_code if data_code >= 400 else 554, data_reply, "DATA")

    def send(self, sender: str, recipient: str, message: bytes, before_end: Callable[[], bool]) -> str:
        """Send one message (CRLF line ends); returns the server's reply to it. See the module doc for errors."""
        try:
            self._envelope(sender, recipient)
            payload = dot_stuffed(message)
            if not payload.endswith(b"\r\n"):
                payload += b"\r\n"
            self.smtp.send(payload)
        except smtplib.SMTPServerDisconnected as exc:
            raise LostBeforeEnd(str(exc)) from None
        except (OSError, smtplib.SMTPResponseException) as exc:
            raise LostBeforeEnd(str(exc)) from None
        if not before_end():
            self.close()  # the message stays incomplete: the server discards it
            raise Cancelled()
        try:
            self.smtp.send(b".\r\n")
            code, reply = self.smtp.getreply()
        except (TimeoutError, smtplib.SMTPServerDisconnected, OSError) as exc:
            raise LostAfterEnd(str(exc) or type(exc).__name__) from None
        self.sent += 1
        if 200 <= code < 300:
            return f"{code} {_text(reply)}"
        self._check(code, reply, "end of DATA")
        return f"{code} {_text(reply)}"  # pragma: no cover - _check raised

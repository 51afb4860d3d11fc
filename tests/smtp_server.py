"""A real SMTP server for the tests: aiosmtpd on 127.0.0.1 with STARTTLS and AUTH, a certificate made by trustme.

It records every accepted message, and can answer chosen recipients with 4xx/5xx
replies or close the connection after a given number of messages.
"""

from __future__ import annotations

import socket
import ssl
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from pathlib import Path

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword, Session

USER, PASSWORD = "crebis", "s3cret-test-password"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Handler:
    """Accepts mail; `replies[address]` is a list of replies given to its RCPT TO, in turn, before 250."""

    replies: dict[str, list[str]] = field(default_factory=dict)
    drop_at: set[int] = field(default_factory=set)
    """Message numbers (1-based, counting every DATA) at which the connection is closed before the reply."""
    on_message: Callable[[int], object] | None = None
    """Called with the number of messages accepted so far, after each one."""
    pipelining: bool = False
    """Offer PIPELINING (RFC 2920) in the EHLO reply: aiosmtpd reads one command line at a time anyway."""
    messages: list[tuple[str, bytes]] = field(default_factory=list)
    data_count: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        return [*responses[:-1], "250-PIPELINING", responses[-1]] if self.pipelining else responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        with self.lock:
            queue = self.replies.get(address)
            if queue:
                return queue.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.data_count += 1
            drop = self.data_count in self.drop_at
            if not drop:
                for rcpt in envelope.rcpt_tos:
                    self.messages.append((rcpt, envelope.original_content))
            accepted = len(self.messages)
        if drop:
            server.transport.close()
            return "421 closing"
        if self.on_message:
            self.on_message(accepted)
        return "250 2.0.0 Ok: queued"

    def received(self) -> Counter:
        with self.lock:
            return Counter(rcpt for rcpt, _ in self.messages)

    def parsed(self) -> list:
        with self.lock:
            return [message_from_bytes(data, policy=policy.SMTP) for _, data in self.messages]


def _authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and auth_data.login == USER.encode() and \
        auth_data.password == PASSWORD.encode()
    return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535 itself


class _Session(Session):
    # aiosmtpd 1.4 itself still writes the legacy `login_data` after every successful AUTH, even through the
    # current API (an `authenticator` returning AuthResult, whose `auth_data` is what it keeps now), and its
    # property logs "Session.login_data is deprecated" each time: a plain attribute, which nothing reads, instead.
    login_data = None


class _Smtp(SMTP):
    def _create_session(self) -> Session:
        return _Session(self.loop)


class QuietController(Controller):
    """aiosmtpd's Controller, without a deprecation line in the log for every AUTH (see `_Session`)."""

    def factory(self):
        return _Smtp(self.handler, **self.SMTP_kwargs)


class SmtpServer:
    """aiosmtpd in a thread of the test process; `ca_file` is the certificate authority the client must trust."""

    def __init__(self, tmp: Path, handler: Handler | None = None):
        self.ca = trustme.CA()
        cert = self.ca.issue_cert("127.0.0.1", "localhost")
        self.ca_file = tmp / "smtp-ca.pem"
        self.ca.cert_pem.write_to_path(str(self.ca_file))
        self.tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        cert.configure_cert(self.tls)
        self.handler = handler or Handler()
        self.port = free_port()
        self.controller: Controller | None = None

    def start(self) -> SmtpServer:
        self.controller = QuietController(
            self.handler, hostname="127.0.0.1", port=self.port, tls_context=self.tls, require_starttls=True,
            auth_required=True, auth_require_tls=True, authenticator=_authenticator, decode_data=False,
            data_size_limit=10_000_000)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def toml(self, **extra: object) -> str:
        """The [smtp] table pointing crebis at this server."""
        values = {"host": "127.0.0.1", "port": self.port, "security": "starttls", "username": USER,
                  "ca_file": str(self.ca_file), "rate": 0, "retry_delay": 0.05, "timeout": 10, **extra}
        lines = ["[smtp]"]
        for key, value in values.items():
            lines.append(f"{key} = {value!r}".replace("'", '"') if isinstance(value, str) else f"{key} = {value}")
        return "\n".join(lines) + "\n"

"""Sending through a real SMTP server (aiosmtpd, STARTTLS, AUTH): headers, DKIM, retries, failures, exactly once."""

from __future__ import annotations

import base64
import email.policy
import re
import socket
import threading
from email import message_from_bytes

import dkim
import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from pipeline.cli import main
from pipeline.errors import MailError
from pipeline.mail import smtp
from pipeline.mail.editions import newsletter_campaign
from pipeline.mail.send import SendOptions, SendStopped, send_campaign
from pipeline.mail.sendlog import SendLog
from pipeline.mail.store import Consent, SubscriberStore
from pipeline.mail.tokens import read_token
from pipeline.project import Project

ISSUE = "2026-04"  # the sample project's newsletter issue


def subscribe(project: Project, n: int, list_name: str = "newsletter") -> list[str]:
    store = SubscriberStore.open(project)
    addresses = []
    for i in range(n):
        address = f"reader{i:03}@example.org"
        store.add(address, name=f"Reader {i}" if i % 2 else "", language=("fr", "nl", "en")[i % 3], lists=[list_name])
        addresses.append(address)
    store.close()
    return addresses


def send(project: Project, **options) -> object:
    return send_campaign(project, newsletter_campaign(project, ISSUE), SendOptions(**options))


def test_each_reader_gets_their_edition_with_every_header(send_project, smtp_server):
    project = Project.open(send_project)
    subscribe(project, 3)
    report = send(project)
    assert report.counts["sent"] == 3 and report.this_run["sent"] == 3
    by_to = {m["To"].addresses[0].addr_spec: m for m in smtp_server.handler.parsed()}
    assert set(by_to) == {"reader000@example.org", "reader001@example.org", "reader002@example.org"}
    ids = set()
    for address, lang in (("reader000@example.org", "fr"), ("reader001@example.org", "nl"),
                          ("reader002@example.org", "en")):
        m = by_to[address]
        for header in ("From", "To", "Subject", "Date", "Message-ID", "List-Id", "List-Unsubscribe",
                       "List-Unsubscribe-Post", "Content-Language"):
            assert m[header], f"{header} missing in the {lang} message"
        ids.add(m["Message-ID"])
        assert m["Content-Language"] == lang
        assert m["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert m.get_content_type() == "multipart/alternative"
        https, mailto = re.findall(r"<([^>]+)>", m["List-Unsubscribe"])
        assert https.startswith("https://crebis.example.org/subscriptions/unsubscribe/")
        assert mailto.startswith("mailto:unsubscribe@crebis.example.org?subject=unsubscribe")
        assert read_token("unsubscribe", https.rsplit("/", 1)[1]) == address
        text = m.get_body(("plain",)).get_content()
        html = m.get_body(("html",)).get_content()
        assert "[[" not in text and "[[" not in html
        assert https in text and https in html
        assert f'lang="{lang}"' in html
    assert "Reader 1" in by_to["reader001@example.org"].get_body(("plain",)).get_content()
    assert by_to["reader001@example.org"]["To"].addresses[0].display_name == "Reader 1"
    assert len(ids) == 3
    assert "newsletter.crebis.example.org" in by_to["reader000@example.org"]["List-Id"]


def test_a_name_with_accents_or_line_breaks_stays_in_the_to_header(send_project, smtp_server):
    project = Project.open(send_project)
    store = SubscriberStore.open(project)
    store.add("chloe@example.org", name="Chloé Dubois")
    store.add("mallory@example.org", name="Mallory\r\nBcc: victim@example.net")
    store.close()
    send(project)
    by_to = {m["To"].addresses[0].addr_spec: m for m in smtp_server.handler.parsed()}
    assert by_to["chloe@example.org"]["To"].addresses[0].display_name == "Chloé Dubois"
    assert by_to["mallory@example.org"]["Bcc"] is None
    assert smtp_server.handler.received() == {"chloe@example.org": 1, "mallory@example.org": 1}


@pytest.mark.parametrize("algorithm", ["rsa-sha256", "ed25519-sha256"])
def test_dkim_signature_verifies(send_project, smtp_server, algorithm):
    if algorithm == "rsa-sha256":
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        public = base64.b64encode(key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo))
        record = b"v=DKIM1; k=rsa; p=" + public
    else:
        key = ed25519.Ed25519PrivateKey.generate()
        record = b"v=DKIM1; k=ed25519; p=" + base64.b64encode(key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw))
    (send_project / "dkim.pem").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    config = send_project / "crebis.toml"
    config.write_text(config.read_text().replace("[mail]\n", f'[mail]\ndkim_key = "dkim.pem"\ndkim_selector = "s1"\n'
                                                 f'dkim_algorithm = "{algorithm}"\n'), encoding="utf-8")
    project = Project.open(send_project)
    subscribe(project, 2)
    send(project)
    raw = [data for _, data in smtp_server.handler.messages]
    assert len(raw) == 2

    def dns(name: bytes, timeout: int = 5) -> bytes:
        assert name == b"s1._domainkey.crebis.example.org."
        return record

    for data in raw:
        signature = message_from_bytes(data, policy=email.policy.SMTP)["DKIM-Signature"]
        assert f"a={algorithm}" in signature
        signed = re.search(r"h=([^;]+);", re.sub(r"\s+", "", signature)).group(1).split(":")
        assert {"from", "to", "subject", "date", "message-id", "list-id", "list-unsubscribe",
                "list-unsubscribe-post"} <= set(signed)
        assert dkim.verify(data, dnsfunc=dns)
        tampered = data.replace(b"Subject: ", b"Subject: FW: ", 1)
        assert not dkim.verify(tampered, dnsfunc=dns)


def test_missing_dkim_key_stops_before_anything_is_sent(send_project, smtp_server):
    config = send_project / "crebis.toml"
    config.write_text(config.read_text().replace("[mail]\n", '[mail]\ndkim_key = "nope.pem"\ndkim_selector = "s1"\n'))
    project = Project.open(send_project)
    subscribe(project, 2)
    with pytest.raises(MailError, match=r"nope.pem: cannot read the DKIM key.*mail.dkim_key"):
        send(project)
    assert smtp_server.handler.messages == []
    assert not SendLog(SubscriberStore.open(project).db, f"newsletter/{ISSUE}").exists()


@pytest.mark.parametrize("pipelining", [False, True])
def test_451_is_retried_and_550_recorded_while_the_rest_goes_on(send_project, smtp_server, pipelining):
    smtp_server.handler.pipelining = pipelining
    project = Project.open(send_project)
    addresses = subscribe(project, 6)
    smtp_server.handler.replies = {addresses[1]: ["451 4.7.1 greylisted, try later"] * 2,
                                   addresses[2]: ["550 5.1.1 no such mailbox"]}
    report = send(project)
    assert report.counts["sent"] == 5 and report.counts["failed"] == 1
    assert report.failures == [(addresses[2], "550 RCPT TO: 5.1.1 no such mailbox")]
    assert smtp_server.handler.received() == {a: 1 for a in addresses if a != addresses[2]}
    log = SendLog(SubscriberStore.open(project).db, f"newsletter/{ISSUE}")
    row = log.db.row("SELECT attempts, reply FROM send_log WHERE address = ?", (addresses[1],))
    assert row["reply"].startswith("250")


@pytest.mark.parametrize("pipelining", [False, True])
def test_connection_dropped_half_way_then_resume_sends_nobody_twice(send_project, smtp_server, pipelining):
    smtp_server.handler.pipelining = pipelining
    project = Project.open(send_project)
    addresses = subscribe(project, 12)
    smtp_server.handler.drop_at = {5}  # the 5th message: the server takes it whole, then hangs up without a reply
    report = send(project)
    assert report.counts["uncertain"] == 1 and report.counts["sent"] == 11
    (uncertain,) = report.uncertain
    assert uncertain not in smtp_server.handler.received()
    with pytest.raises(MailError, match=r"already sent or started.*--resume"):
        send(project)
    again = send(project, resume=True)
    assert again.this_run["sent"] == 0 and again.counts["uncertain"] == 1
    last = send(project, resume=True, resend_uncertain=True)
    assert last.this_run["sent"] == 1
    assert smtp_server.handler.received() == {a: 1 for a in addresses}


@pytest.mark.parametrize("pipelining", [False, True])
def test_a_connection_never_waits_on_itself(send_project, smtp_server, pipelining):
    """TCP_NODELAY (a message's last line must not wait for the ACK of the lines before it) and PIPELINING
    where offered (the envelope in one write): see pipeline/mail/smtp.py."""
    smtp_server.handler.pipelining = pipelining
    project = Project.open(send_project)
    connection = smtp.Connection(smtp.Server.from_options(project.config.smtp, smtp.password(project.config.smtp)))
    try:
        assert connection.smtp.sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
        assert connection.pipelining is pipelining
        for address in ("one@example.org", "two@example.org"):
            reply = connection.send("newsletter@crebis.example.org", address, b"Subject: hi\r\n\r\nHello\r\n",
                                    lambda: True)
            assert reply.startswith("250")
    finally:
        connection.close()
    assert smtp_server.handler.received() == {"one@example.org": 1, "two@example.org": 1}


def test_lines_beginning_with_a_dot_arrive_as_written(send_project, smtp_server):
    # a lone "." ends DATA: every line that begins with a dot is sent with a second one (RFC 5321 4.5.2)
    project = Project.open(send_project)
    message = b".Subject: odd\r\n\r\n.\r\n..two\r\nmid . dot\r\n.\r\n.end"
    connection = smtp.Connection(smtp.Server.from_options(project.config.smtp, smtp.password(project.config.smtp)))
    try:
        assert smtp.dot_stuffed(message) == b"..Subject: odd\r\n\r\n..\r\n...two\r\nmid . dot\r\n..\r\n..end"
        assert connection.send("newsletter@crebis.example.org", "one@example.org", message, lambda: True)[:3] == "250"
    finally:
        connection.close()
    assert smtp_server.handler.messages == [("one@example.org", message + b"\r\n")]


def test_unreachable_server_changes_nothing(send_project, smtp_server):
    project = Project.open(send_project)
    addresses = subscribe(project, 2)
    smtp_server.stop()
    with pytest.raises(MailError, match=r"cannot reach the SMTP server 127.0.0.1:\d+.*smtp.host"):
        send(project)
    assert not SendLog(SubscriberStore.open(project).db, f"newsletter/{ISSUE}").exists()
    smtp_server.start()
    assert send(project).counts["sent"] == 2
    assert smtp_server.handler.received() == {a: 1 for a in addresses}


def test_server_gone_half_way_stops_the_send_and_resume_finishes_it(send_project, smtp_server):
    project = Project.open(send_project)
    addresses = subscribe(project, 10)
    smtp_server.handler.on_message = lambda n: n == 4 and threading.Thread(target=smtp_server.stop).start()
    with pytest.raises(SendStopped, match=r"cannot reach the SMTP server.*--resume"):
        send(project)
    smtp_server.start()
    report = send(project, resume=True)
    assert report.counts["sent"] + report.counts["uncertain"] == 10 and report.counts["uncertain"] <= 2
    received = smtp_server.handler.received()
    assert all(received[a] == 1 for a in addresses if a not in report.uncertain)
    assert all(received[a] <= 1 for a in report.uncertain)


def test_wrong_password_says_what_to_fix_and_sends_nothing(send_project, smtp_server, monkeypatch):
    monkeypatch.setenv("CREBIS_SMTP_PASSWORD", "wrong")
    project = Project.open(send_project)
    subscribe(project, 2)
    result = CliRunner().invoke(main, ["-C", str(send_project), "newsletter", "send", ISSUE])
    assert result.exit_code == 1
    assert "refused the login of 'crebis'" in result.output and "smtp.password_env" in result.output
    assert "Traceback" not in result.output
    assert smtp_server.handler.messages == []


def test_unsubscribed_reader_is_skipped(send_project, smtp_server):
    project = Project.open(send_project)
    addresses = subscribe(project, 3)
    campaign = newsletter_campaign(project, ISSUE)
    store = SubscriberStore.open(project)
    SendLog(store.db, campaign.id).enqueue("newsletter")  # queued, as by a send that stopped
    store.unsubscribe(addresses[0], "one-click")
    report = send_campaign(project, campaign, SendOptions(resume=True))
    assert report.counts["skipped"] == 1 and report.counts["sent"] == 2
    assert addresses[0] not in smtp_server.handler.received()


def test_dry_run_renders_without_connecting_and_test_to_sends_each_language(send_project, smtp_server):
    project = Project.open(send_project)
    subscribe(project, 4)
    smtp_server.stop()
    result = CliRunner().invoke(main, ["-C", str(send_project), "newsletter", "send", ISSUE, "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "4 message(s) rendered, 0 problem(s)" in result.output
    smtp_server.start()
    result = CliRunner().invoke(main, ["-C", str(send_project), "newsletter", "send", ISSUE,
                                       "--test-to", "editor@example.org"])
    assert result.exit_code == 0, result.output
    langs = sorted(m["Content-Language"] for m in smtp_server.handler.parsed())
    assert langs == ["en", "fr", "nl"]
    assert not SendLog(SubscriberStore.open(project).db, f"newsletter/{ISSUE}").exists()


def test_cli_table(send_project, smtp_server):
    project = Project.open(send_project)
    subscribe(project, 3)
    result = CliRunner().invoke(main, ["-C", str(send_project), "newsletter", "send", ISSUE])
    assert result.exit_code == 0, result.output
    assert re.search(r"^sent\s+3\s+3$", result.output, re.M)
    assert re.search(r"^uncertain\s+0\s+0$", result.output, re.M)


def test_two_sends_of_one_issue_cannot_run_at_once(send_project, smtp_server):
    project = Project.open(send_project)
    subscribe(project, 2)
    store = SubscriberStore.open(project)
    with store.db.lock(f"send:newsletter/{ISSUE}") as got:  # as another process sending this issue would
        assert got
        with pytest.raises(MailError, match=r"another send of newsletter/2026-04 is running"):
            send(project)
    assert smtp_server.handler.messages == []
    assert send(project).counts["sent"] == 2


def test_an_address_that_cannot_be_sent_to_fails_alone_and_the_rest_is_sent(send_project, smtp_server):
    project = Project.open(send_project)
    addresses = subscribe(project, 3)
    store = SubscriberStore.open(project)
    # An address stored before crebis kept addresses in ASCII: without SMTPUTF8 it cannot be sent to.
    with store.db.transaction():
        store.insert_new("jérôme@example.org", "", "fr", ("newsletter",), Consent("by hand"), "active")
    store.close()
    result = CliRunner().invoke(main, ["-C", str(send_project), "newsletter", "send", ISSUE])
    assert result.exit_code == 1, result.output
    assert re.search(r"^sent\s+3\s+3$", result.output, re.M) and re.search(r"^failed\s+1\s+1$", result.output, re.M)
    assert "failed    jérôme@example.org: jérôme@example.org: not an ASCII address" in result.output
    assert smtp_server.handler.received() == {a: 1 for a in addresses}


def test_an_unexpected_error_stops_the_whole_send_and_resume_finishes_it(send_project, smtp_server, monkeypatch):
    from pipeline.mail.message import MessageFactory

    project = Project.open(send_project)
    addresses = subscribe(project, 8)
    build = MessageFactory.build

    def faulty(self, recipient, *args, **kwargs):
        if recipient.address == addresses[3]:
            raise ZeroDivisionError("a fault of crebis's own")
        return build(self, recipient, *args, **kwargs)

    monkeypatch.setattr(MessageFactory, "build", faulty)
    with pytest.raises(SendStopped, match=rf"sending to {addresses[3]} failed on an unexpected error "
                                          r"\(ZeroDivisionError.*a bug in crebis.*still queued.*--resume"):
        send(project)
    monkeypatch.setattr(MessageFactory, "build", build)
    again = send(project, resume=True)
    assert again.counts["sent"] == 8 and not again.counts.get("queued")
    assert smtp_server.handler.received() == {a: 1 for a in addresses}

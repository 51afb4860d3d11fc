"""Returned mail from an mbox and a Maildir: DSNs through flufl.bounce, ARF complaints, soft bounces in a row."""

from __future__ import annotations

import mailbox
from email.message import EmailMessage

from click.testing import CliRunner

from pipeline.cli import main
from pipeline.mail.bounces import process_bounces


def dsn(recipient: str, action: str, status: str, message_id: str = "<dsn-1@mx.example.net>") -> bytes:
    """A delivery status notification as Postfix writes it (RFC 3464)."""
    boundary = "B0UND"
    return (
        f"Message-ID: {message_id}\r\nFrom: MAILER-DAEMON@mx.example.net (Mail Delivery System)\r\n"
        "To: newsletter@crebis.example.org\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        "MIME-Version: 1.0\r\n"
        f'Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"\r\n\r\n'
        f"--{boundary}\r\nContent-Type: text/plain\r\n\r\nI'm sorry to have to inform you...\r\n\r\n"
        f"--{boundary}\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.example.net\r\n\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\nOriginal-Recipient: rfc822;{recipient}\r\n"
        f"Action: {action}\r\nStatus: {status}\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 user unknown\r\n\r\n"
        f"--{boundary}--\r\n").encode()


def arf(recipient: str) -> bytes:
    """A spam complaint in the Abuse Reporting Format (RFC 5965)."""
    boundary = "ARF"
    return (
        "From: feedback@provider.example.net\r\nTo: abuse@crebis.example.org\r\nSubject: FW: newsletter\r\n"
        "MIME-Version: 1.0\r\n"
        f'Content-Type: multipart/report; report-type=feedback-report; boundary="{boundary}"\r\n\r\n'
        f"--{boundary}\r\nContent-Type: text/plain\r\n\r\nThis is an email abuse report.\r\n\r\n"
        f"--{boundary}\r\nContent-Type: message/feedback-report\r\n\r\n"
        "Feedback-Type: abuse\r\nUser-Agent: SomeGenerator/1.0\r\nVersion: 1\r\n"
        f"Original-Rcpt-To: {recipient}\r\n\r\n"
        f"--{boundary}\r\nContent-Type: message/rfc822\r\n\r\n"
        f"From: newsletter@crebis.example.org\r\nTo: {recipient}\r\nSubject: Newsletter\r\n\r\nHello\r\n\r\n"
        f"--{boundary}--\r\n").encode()


def test_mbox_hard_soft_and_complaints(store, tmp_path):
    for name in ("hard", "soft", "spam", "fine"):
        store.add(f"{name}@example.org")
    box = mailbox.mbox(tmp_path / "returned.mbox")
    for data in (dsn("hard@example.org", "failed", "5.1.1"), dsn("soft@example.org", "delayed", "4.2.2"),
                 arf("spam@example.org"), dsn("stranger@example.org", "failed", "5.1.1")):
        box.add(data)
    plain = EmailMessage()
    plain["Subject"] = "Re: your newsletter"
    plain.set_content("Thanks!")
    box.add(plain)
    box.close()
    report = process_bounces(store, tmp_path / "returned.mbox")
    assert report.messages == 5 and report.unrecognised == 1
    assert (report.hard, report.soft, report.complaints) == (["hard@example.org"], ["soft@example.org"],
                                                             ["spam@example.org"])
    assert report.unknown == ["stranger@example.org"]
    assert [store.get(f"{n}@example.org").status for n in ("hard", "soft", "spam", "fine")] == [
        "bounced", "active", "complained", "active"]


def test_maildir_soft_bounces_in_a_row_stop_the_address(project_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("CREBIS_SECRET", "test-secret-not-for-production-0123456789")
    runner = CliRunner()
    assert runner.invoke(main, ["-C", str(project_dir), "subscribers", "add", "soft@example.org"]).exit_code == 0
    box = mailbox.Maildir(tmp_path / "Maildir")
    for n in range(3):  # three sends, three returned messages
        box.add(dsn("soft@example.org", "delayed", "4.2.2", f"<dsn-{n}@mx.example.net>"))
    box.close()
    result = runner.invoke(main, ["-C", str(project_dir), "subscribers", "bounces", str(tmp_path / "Maildir")])
    assert result.exit_code == 0, result.output
    assert "3 message(s): 0 hard bounce(s), 3 soft" in result.output and "stopped soft@example.org" in result.output
    missing = runner.invoke(main, ["-C", str(project_dir), "subscribers", "bounces", str(tmp_path / "nope")])
    assert missing.exit_code == 1 and "no such mbox file or Maildir folder" in missing.output


def test_reading_a_mailbox_again_counts_nothing_twice(store, tmp_path):
    for name in ("soft", "spam"):
        store.add(f"{name}@example.org")
    box = mailbox.mbox(tmp_path / "returned.mbox")
    box.add(dsn("soft@example.org", "delayed", "4.2.2"))
    box.add(arf("spam@example.org").replace(b"Original-Rcpt-To: spam@example.org",
                                            b"Original-Rcpt-To: <spam@example.org>"))  # as RFC 5965 writes it
    box.close()
    first = process_bounces(store, tmp_path / "returned.mbox")
    assert (first.soft, first.complaints, first.already) == (["soft@example.org"], ["spam@example.org"], 0)
    assert store.get("spam@example.org").status == "complained"
    for _ in range(3):
        again = process_bounces(store, tmp_path / "returned.mbox")
        assert (again.soft, again.complaints, again.already) == ([], [], 2)
    assert store.get("soft@example.org").soft_bounces == 1


def test_an_address_that_cannot_be_read_is_reported_not_dropped(store, tmp_path):
    box = mailbox.mbox(tmp_path / "returned.mbox")
    box.add(arf("not an address"))
    box.close()
    report = process_bounces(store, tmp_path / "returned.mbox")
    assert report.unreadable == ["not an address"] and report.unrecognised == 0

"""Benchmark of `crebis newsletter send` against the loop a user would write, on one machine.

    python bench/send.py [--recipients 10000] [--small 1000] [--naive 300] [--connections 2]

A local aiosmtpd in its own process accepts and discards (STARTTLS, AUTH and PIPELINING,
as a provider's submission server offers them); the sample newsletter is built once; DKIM is
on (RSA-2048) in every run. Measured, in one run:

  (a) the naive loop: for each recipient, the message built with the standard library,
      signed with dkimpy, sent with smtplib over a new connection (STARTTLS, AUTH, QUIT);
      NAIVE recipients, its rate extrapolated;
  (b) crebis: `send_campaign` to SMALL then RECIPIENTS subscribers in three languages,
      each in a fresh process: messages/s and peak memory (flat in the list's size?);
  (c) resume: a send of RECIPIENTS with 9/10 already sent, as a fresh process: seconds
      from the process start to the first new message accepted by the server.

Targets (2-core machine): (b) >= 10 x (a) and >= 200 messages/s; peak memory <= 300 MB
and flat from SMALL to RECIPIENTS; (c) < 2 s. The CPU per message of the sender and of the
server (steadier than rates on a loaded machine) and the load average are printed with them.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

USER, PASSWORD = "bench", "bench-password"
SECRET = "bench-secret-0123456789abcdef"


def serve(port_queue: multiprocessing.Queue, ca_dir: str) -> None:
    """The SMTP server process: accepts and discards, after STARTTLS and AUTH."""
    import ssl

    import trustme
    from aiosmtpd.smtp import AuthResult, LoginPassword
    from smtp_server import QuietController, free_port

    ca = trustme.CA()
    ca.cert_pem.write_to_path(os.path.join(ca_dir, "ca.pem"))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)

    class Discard:
        async def handle_EHLO(self, server, session, envelope, hostname, responses):
            # aiosmtpd reads commands one line at a time, so it takes pipelined ones as they come; it only
            # does not say so. Offered here, as every provider's submission server does (RFC 2920).
            session.host_name = hostname
            return [*responses[:-1], "250-PIPELINING", responses[-1]]

        async def handle_DATA(self, server, session, envelope):
            return "250 2.0.0 Ok: discarded"

    def auth(server, session, envelope, mechanism, data):
        ok = isinstance(data, LoginPassword) and data.login == USER.encode() and data.password == PASSWORD.encode()
        return AuthResult(success=ok, handled=False)

    port = free_port()
    controller = QuietController(Discard(), hostname="127.0.0.1", port=port, tls_context=context, require_starttls=True,
                            auth_required=True, auth_require_tls=True, authenticator=auth, data_size_limit=10_000_000)
    controller.start()
    port_queue.put(port)
    while True:
        time.sleep(3600)


CREBIS_RUN = r"""
import json, sys, time


def peak_mb():
    # VmHWM, not ru_maxrss: Linux carries the parent's peak over into a child's ru_maxrss
    # across fork and exec, so the bench's own newsletter build was counted as the sender's.
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024


t0 = time.perf_counter()
import resource
from pipeline.mail.editions import newsletter_campaign
from pipeline.mail.send import SendOptions, send_campaign
from pipeline.project import Project
project = Project.open(sys.argv[1])
resume = sys.argv[2] == "resume"
campaign = newsletter_campaign(project, "2026-04")
started = time.perf_counter()
before = resource.getrusage(resource.RUSAGE_SELF)
report = send_campaign(project, campaign, SendOptions(resume=resume))
elapsed = time.perf_counter() - started
after = resource.getrusage(resource.RUSAGE_SELF)
cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
print(json.dumps({"sent": report.this_run["sent"], "failed": report.this_run["failed"], "elapsed": elapsed, "cpu": cpu,
                  "first": (started - t0) + (report.first_message_after or 0),
                  "peak_mb": peak_mb()}))
"""


def make_project(base: Path, port: int, ca_file: str, connections: int) -> Path:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    from pipeline.project import Project
    from pipeline.publish import build
    from pipeline.scaffold import init_project
    root = base / "centre"
    init_project(root)
    assert build(Project.open(root), only={"newsletter"}).ok
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    (root / "dkim.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                      serialization.NoEncryption()))
    config = root / "crebis.toml"
    text = config.read_text(encoding="utf-8").replace("[mail]\n", '[mail]\ndkim_key = "dkim.pem"\n'
                                                      'dkim_selector = "bench"\n')
    config.write_text(text + f'\n[smtp]\nhost = "127.0.0.1"\nport = {port}\nusername = "{USER}"\n'
                      f'ca_file = "{ca_file}"\nconnections = {connections}\nrate = 0\n'
                      "messages_per_connection = 100000\n", encoding="utf-8")
    return root


def fill(root: Path, n: int, sent: int = 0) -> None:
    """N active subscribers of the newsletter, in three languages; with `sent`, a log where that many are done."""
    from pipeline.mail.sendlog import SendLog
    from pipeline.mail.store import SubscriberStore
    from pipeline.project import Project
    db_file = root / ".crebis/subscribers.sqlite"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_file}{suffix}").unlink(missing_ok=True)
    store = SubscriberStore.open(Project.open(root))
    rows = [(f"reader{i:06}@example.org", f"Reader {i}", ("fr", "nl", "en")[i % 3]) for i in range(n)]
    with store.db.transaction():
        store.db.executemany("INSERT INTO subscribers (address, name, language, status, created_at, updated_at, "
                             "consent_method) VALUES (?, ?, ?, 'active', '2026-01-01', '2026-01-01', 'import')", rows)
        store.db.executemany("INSERT INTO memberships (address, list) VALUES (?, 'newsletter')",
                             [(r[0],) for r in rows])
    if sent:
        log = SendLog(store.db, "newsletter/2026-04")
        log.enqueue("newsletter")
        store.db.execute("UPDATE send_log SET state = 'sent', reply = '250 bench' WHERE address IN (SELECT address "
                         "FROM send_log ORDER BY address LIMIT ?)", (sent,))
    store.close()


def process_cpu(pid: int) -> float:
    """User + system seconds of a process so far (the SMTP server's, which shares the machine's cores)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def run_crebis(root: Path, mode: str) -> dict:
    env = {**os.environ, "CREBIS_SECRET": SECRET, "CREBIS_SMTP_PASSWORD": PASSWORD, "PYTHONPATH": str(REPO)}
    out = subprocess.run([sys.executable, "-c", CREBIS_RUN, str(root), mode], capture_output=True, text=True,
                         env=env, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def message_kb(root: Path) -> float:
    """The size of one recipient's message as crebis sends it (DKIM signature included)."""
    from pipeline.mail.dkim import signer_for
    from pipeline.mail.editions import newsletter_campaign
    from pipeline.mail.message import MessageFactory, Recipient
    from pipeline.project import Project
    project = Project.open(root)
    factory = MessageFactory(project.config, newsletter_campaign(project, "2026-04"), signer_for(project))
    return len(factory.build(Recipient("reader000000@example.org", "Reader 0", "fr"))[1]) / 1000


def naive(root: Path, port: int, ca_file: str, n: int) -> float:
    """The loop a user would write; returns messages per second."""
    import email.policy
    import smtplib
    import ssl
    from email.message import EmailMessage

    import dkim
    pem = (root / "dkim.pem").read_bytes()
    folder = root / "outputs/newsletters/2026-04"
    parts = {lang: ((folder / f"{lang}.txt").read_text(), (folder / f"{lang}.html").read_text())
             for lang in ("fr", "nl", "en")}
    context = ssl.create_default_context(cafile=ca_file)
    started = time.perf_counter()
    for i in range(n):
        lang = ("fr", "nl", "en")[i % 3]
        text, html = parts[lang]
        to = f"reader{i:06}@example.org"
        link = f"https://crebis.example.org/subscriptions/unsubscribe/{i}"
        message = EmailMessage(policy=email.policy.SMTP)
        message["From"] = "CREBIS <newsletter@crebis.example.org>"
        message["To"] = to
        message["Subject"] = "Newsletter"
        message["List-Unsubscribe"] = f"<{link}>"
        message.set_content(text.replace("[[recipient_name]]", f"Reader {i}").replace("[[unsubscribe_url]]", link),
                            cte="quoted-printable")
        message.add_alternative(html.replace("[[recipient_name]]", f"Reader {i}").replace("[[unsubscribe_url]]", link),
                                subtype="html", cte="quoted-printable")
        data = message.as_bytes()
        signature = dkim.sign(data, b"bench", b"crebis.example.org", pem,
                              include_headers=[b"from", b"to", b"subject", b"list-unsubscribe"])
        with smtplib.SMTP("127.0.0.1", port) as smtp:
            smtp.starttls(context=context)
            smtp.login(USER, PASSWORD)
            smtp.sendmail("newsletter@crebis.example.org", [to], signature + data)
    return n / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--naive", type=int, default=300)
    parser.add_argument("--connections", type=int, default=2)
    args = parser.parse_args()
    os.environ["CREBIS_SECRET"] = SECRET
    base = Path(tempfile.mkdtemp(prefix="crebis-bench-send-"))
    queue: multiprocessing.Queue = multiprocessing.Queue()
    server = multiprocessing.Process(target=serve, args=(queue, str(base)), daemon=True)
    server.start()
    try:
        port = queue.get(timeout=60)
        ca_file = str(base / "ca.pem")
        root = make_project(base, port, ca_file, args.connections)
        print(f"load average {load()}")
        naive_rate = naive(root, port, ca_file, args.naive)
        print(f"(a) naive loop (smtplib, a connection per message, dkimpy): {naive_rate:7.1f} messages/s "
              f"({args.naive} messages)")
        results = {}
        for n in (args.small, args.recipients):
            fill(root, n)
            server_cpu = process_cpu(server.pid)
            results[n] = r = run_crebis(root, "send")
            server_cpu = process_cpu(server.pid) - server_cpu
            rate = r["sent"] / r["elapsed"]
            print(f"(b) crebis, {n:6} recipients, {args.connections} connections: {rate:7.1f} messages/s "
                  f"({r['sent']} sent, {r['failed']} failed, {r['elapsed']:.1f} s), peak memory {r['peak_mb']:.0f} MB"
                  f"  -> {rate / naive_rate:.1f} x the naive loop")
            print(f"    CPU per message: sender {r['cpu'] / r['sent'] * 1000:.2f} ms, SMTP server "
                  f"{server_cpu / r['sent'] * 1000:.2f} ms; load average {load()}")
        fill(root, args.recipients, sent=args.recipients * 9 // 10)
        r = run_crebis(root, "resume")
        print(f"(c) resume with {args.recipients * 9 // 10} of {args.recipients} sent: first new message "
              f"{r['first']:.2f} s after the process started ({r['sent']} sent); load average {load()}")
        print(f"one message (fr): {message_kb(root):.1f} KB")
    finally:
        server.terminate()
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()

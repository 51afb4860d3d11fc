"""The SSRF guard: loopback, private, link-local and metadata addresses are refused on every hop.

Only loopback servers are ever contacted. Refusals of other addresses are tested by
resolution alone: the guard refuses before it connects, which a recording backend shows.
"""

from __future__ import annotations

import asyncio

import httpcore
import pytest

from pipeline.errors import ConfigError
from pipeline.watch.fetch import FetchOptions, FetchRequest, fetch_feeds
from pipeline.watch.guard import AddressPolicy, ForbiddenAddress, GuardedBackend, parse_networks, url_problem
from pipeline.watch.models import Feed
from pipeline.watch.opml import add_outlines, read_opml
from pipeline.watch.sources import feed_health, feeds_path
from pipeline.watch.update import update_feeds

from .conftest import WATCH_CONFIG, make_project

RSS = (b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
       b"<item><title>Inside</title><link>https://x.example/1</link><guid>1</guid></item></channel></rss>")  # fmt: skip
OPTIONS = FetchOptions(user_agent="t", connect_timeout=1, read_timeout=1, total_timeout=3,
                       allow_private=("127.0.0.1/32",))  # fmt: skip


class Recording(httpcore.AsyncNetworkBackend):
    """A network backend that connects nowhere and remembers what it was asked to connect to."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, int]] = []

    async def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        self.calls.append((host, port))
        raise httpcore.ConnectError("recording only")


def _resolver(table: dict[str, list[str]]):
    async def resolve(host: str, port: int) -> list[str]:
        return table[host]

    return resolve


def _connect(backend: GuardedBackend, host: str) -> None:
    asyncio.run(backend.connect_tcp(host, 80, timeout=1))


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.9", "private"),
        ("192.168.1.1", "private"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("fd00::7", "private"),
        ("100.64.0.1", "non-public"),
        ("0.0.0.0", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("::ffff:10.0.0.1", "private"),  # IPv4-mapped
        ("64:ff9b::a00:1", "private"),  # NAT64 of 10.0.0.1
        ("2002:a00:1::1", "private"),  # 6to4 of 10.0.0.1
    ],
)
def test_non_public_addresses_are_refused(address, kind):
    refusal = AddressPolicy().refusal("feeds.example.org", address)
    assert refusal and kind in refusal and f"resolves to {address}" in refusal
    assert "watch.allow_private" in refusal


def test_public_addresses_and_allowed_networks_pass():
    policy = AddressPolicy(parse_networks(["127.0.0.1/32", "10.1.0.0/16"]))
    assert policy.refusal("a.example", "93.184.216.34") is None
    assert policy.refusal("a.example", "2606:2800:220:1::1") is None
    assert policy.refusal("127.0.0.1", "127.0.0.1") is None
    assert policy.refusal("a.example", "10.1.200.3") is None
    assert "loopback" in policy.refusal("127.0.0.2", "127.0.0.2")
    assert "private" in policy.refusal("a.example", "10.2.0.1")


def test_a_name_resolving_to_a_forbidden_address_is_refused_before_connecting():
    inner = Recording()
    backend = GuardedBackend(AddressPolicy(), _resolver({
        "intranet.example.org": ["10.0.0.7"],
        "metadata.example.org": ["169.254.169.254"],
        "mixed.example.org": ["93.184.216.34", "192.168.0.10"],
    }), inner)  # fmt: skip
    for host in ("intranet.example.org", "metadata.example.org", "mixed.example.org"):
        with pytest.raises(ForbiddenAddress, match=f"refused: {host} resolves to"):
            _connect(backend, host)
    assert inner.calls == []  # nothing was sent anywhere


def test_the_connection_goes_to_the_checked_address_not_the_name():
    inner = Recording()
    backend = GuardedBackend(AddressPolicy(), _resolver({"feeds.example.org": ["93.184.216.34"]}), inner)
    with pytest.raises(httpcore.ConnectError):
        _connect(backend, "feeds.example.org")
    assert inner.calls == [("93.184.216.34", 80)]  # a second resolution (DNS rebinding) never happens


def test_fetch_records_the_refusal_as_the_feed_error():
    resolver = _resolver({"intranet.example.org": ["10.0.0.7"]})
    [fetched] = asyncio.run(fetch_feeds([FetchRequest("http://intranet.example.org/feed")], OPTIONS, resolver))
    assert fetched.status == "failed"
    assert fetched.error.startswith("refused: intranet.example.org resolves to 10.0.0.7, which is a private address")


def test_loopback_is_refused_by_default_and_nothing_is_sent(tmp_path, server):
    project = make_project(tmp_path / "p", WATCH_CONFIG.replace('allow_private = ["127.0.0.1/32"]\n', ""))
    by_ip = server.add("/feed.xml", RSS)
    by_name = by_ip.replace("127.0.0.1", "localhost")
    add_outlines(feeds_path(project), [Feed(by_ip), Feed(by_name)])
    reports = {r.url: r for r in update_feeds(project).reports}
    assert reports[by_ip].status == reports[by_name].status == "failed"
    assert reports[by_ip].error.startswith("refused: 127.0.0.1 is a loopback address")
    assert reports[by_name].error.startswith("refused: localhost resolves to")
    assert server.hits == {}
    assert {h.url: h.failures for h in feed_health(project)} == {by_ip: 1, by_name: 1}


def test_every_redirect_hop_is_checked_and_a_refused_move_is_not_written(project, server, inside_server, watch):
    inside = inside_server.add("/admin", RSS)
    closed = "http://127.0.0.2:9/admin"  # nothing listens: the error must not tell the difference
    moved = server.add("/moved.xml", status=301, headers={"Location": inside})
    probe = server.add("/probe.xml", status=302, headers={"Location": closed})
    metadata = server.add("/meta.xml", status=302, headers={"Location": "http://169.254.169.254/latest/meta-data/"})
    watch(moved, probe, metadata)
    reports = {r.url: r for r in update_feeds(project).reports}
    assert inside_server.hits == {}
    assert reports[moved].error == reports[probe].error == (
        "refused: 127.0.0.2 is a loopback address; the watch fetches only public addresses "
        "(to watch a feed inside your network, add its network to watch.allow_private)")  # fmt: skip
    assert reports[metadata].error.startswith("refused: 169.254.169.254 is a link-local address")
    assert all(r.moved_to is None for r in reports.values())
    assert [f.url for f in read_opml(feeds_path(project))] == [moved, probe, metadata]


def test_allow_private_lets_a_network_through(tmp_path, inside_server):
    config = WATCH_CONFIG.replace('["127.0.0.1/32"]', '["127.0.0.1/32", "127.0.0.2"]')
    project = make_project(tmp_path / "p", config)
    add_outlines(feeds_path(project), [Feed(inside_server.add("/feed.xml", RSS))])
    assert update_feeds(project).new == 1


def test_allow_private_must_name_networks(tmp_path):
    with pytest.raises(ConfigError, match=r"'watch.allow_private': expected addresses or networks .* got 'intranet'"):
        make_project(tmp_path / "p", WATCH_CONFIG.replace('["127.0.0.1/32"]', '["intranet"]'))


@pytest.mark.parametrize(
    "url", ["http://xn--zz.example/feed", "http://[::1/feed", "ftp://example.org/feed", "https:///nohost"]
)
def test_feed_addresses_follow_the_rules_httpx_applies(url):
    assert url_problem(url)


def test_good_feed_addresses_pass():
    assert url_problem("https://例え.jp/feed") is None
    assert url_problem("http://[2001:db8::1]:8080/rss") is None

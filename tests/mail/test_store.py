"""The subscribers store on SQLite and PostgreSQL: statuses, consent, no way back for who said stop, GDPR."""

from __future__ import annotations

import pytest

from pipeline.errors import MailError
from pipeline.mail.store import Consent, normalise_address


def test_address_is_checked_and_normalised_without_dns():
    assert normalise_address("  Ana.Peeters@Example.ORG ") == "ana.peeters@example.org"
    with pytest.raises(MailError, match="not a valid email address"):
        normalise_address("ana@@example.org")


def test_address_is_kept_in_ascii_and_one_that_needs_smtputf8_is_refused():
    assert normalise_address("Anne@Bücher.example.org") == "anne@xn--bcher-kva.example.org"
    with pytest.raises(MailError, match=r"'jérôme@example.org' cannot be used: .*SMTPUTF8.*ASCII letters before "):
        normalise_address("jérôme@example.org")


def test_add_records_consent_and_lists(store):
    s = store.add("ana@example.org", name="Ana", language="nl", lists=["newsletter", "digest"],
                  consent=Consent("by hand", at="2026-01-02T10:00:00+00:00", version="v1"))
    again = store.get("ANA@example.org")
    assert again == s
    assert (s.status, s.language, s.lists) == ("active", "nl", ("digest", "newsletter"))
    assert (s.consent_method, s.consent_at, s.consent_version, s.confirmed_at) == (
        "by hand", "2026-01-02T10:00:00+00:00", "v1", "2026-01-02T10:00:00+00:00")


def test_unknown_language_and_list_are_refused_and_nothing_is_written(store):
    with pytest.raises(MailError, match=r"unknown language 'de'.*fr, nl, en"):
        store.add("ana@example.org", language="de")
    with pytest.raises(MailError, match=r"unknown list.*weekly"):
        store.add("ana@example.org", lists=["weekly"])
    assert store.get("ana@example.org") is None


def test_an_address_that_said_stop_is_never_added_back_by_hand(store):
    store.add("ana@example.org")
    store.unsubscribe("ana@example.org", "asked by mail")
    with pytest.raises(MailError, match="unsubscribed"):
        store.add("ana@example.org")
    s = store.get("ana@example.org")
    assert s.status == "unsubscribed" and s.unsubscribe_reason == "asked by mail" and s.unsubscribed_at


def test_unsubscribe_from_one_list_keeps_the_other(store):
    store.add("ana@example.org", lists=["newsletter", "digest"])
    s = store.unsubscribe("ana@example.org", "link", lists=["digest"])
    assert (s.status, s.lists) == ("active", ("newsletter",))
    s = store.unsubscribe("ana@example.org", "link", lists=["newsletter"])
    assert s.status == "unsubscribed"


def test_form_subscription_is_pending_until_confirmed(store):
    s = store.subscribe("ana@example.org", name="Ana", language="nl", lists=["digest"], ip="127.0.0.1")
    assert (s.status, s.consent_method, s.consent_ip, s.lists) == ("pending", "form", "127.0.0.1", ("digest",))
    assert store.awaits_confirmation(s)
    s = store.confirm("ana@example.org")
    assert s.status == "active" and s.confirmed_at and not store.awaits_confirmation(s)


def test_a_stopped_record_stays_as_it_was_until_its_owner_confirms_a_new_request(store):
    store.add("ana@example.org", name="Ana", lists=["newsletter"])
    store.unsubscribe("ana@example.org", "asked by phone")
    before = store.get("ana@example.org")
    # Anyone can post the form for any address: the post alone changes nothing of the record.
    s = store.subscribe("ana@example.org", name="Someone else", language="en", lists=["digest"], ip="127.0.0.9")
    assert s == before and store.awaits_confirmation(s)
    assert store.export("ana@example.org")["unconfirmed_request"]["lists"] == ["digest"]
    with pytest.raises(MailError, match="is unsubscribed"):  # still never brought back by hand
        store.add("ana@example.org")
    store.db.execute("UPDATE requests SET created_at = '2000-01-01T00:00:00+00:00'")
    assert store.expire_pending() == 1  # an expired request goes; the record stays
    assert store.get("ana@example.org") == before and not store.awaits_confirmation(before)
    assert store.confirm("ana@example.org") == before  # no request: confirming does nothing
    store.subscribe("ana@example.org", name="Ana P.", language="en", lists=["digest"], ip="127.0.0.9")
    s = store.confirm("ana@example.org")
    assert (s.status, s.name, s.language, s.lists, s.consent_ip) == ("active", "Ana P.", "en", ("digest",),
                                                                      "127.0.0.9")
    assert s.unsubscribed_at is None and s.unsubscribe_reason is None
    assert "unconfirmed_request" not in store.export("ana@example.org")


def test_control_characters_in_a_name_become_spaces(store):
    s = store.add("eve@example.org", name="Eve\r\nBcc: v@example.org\u2028\x00 x")
    assert s.name == "Eve Bcc: v@example.org x"
    s = store.subscribe("mal@example.org", name="Mal\nlory", language="fr", lists=["newsletter"])
    assert s.name == "Mal lory"


def test_forget_erases_everything_and_blocks_a_later_add(store):
    store.add("ana@example.org", name="Ana")
    assert store.forget("ana@example.org") is True
    assert store.get("ana@example.org") is None
    rows = store.db.rows("SELECT * FROM suppressions")
    assert len(rows) == 1 and "ana" not in rows[0]["hash"] and len(rows[0]["hash"]) == 64
    with pytest.raises(MailError, match="forgotten"):
        store.add("ana@example.org")
    assert store.stats()["suppressed"] == 1


def test_forget_needs_the_secret(store, monkeypatch):
    store.add("ana@example.org")
    monkeypatch.delenv("CREBIS_SECRET")
    with pytest.raises(MailError, match="CREBIS_SECRET"):
        store.forget("ana@example.org")
    assert store.get("ana@example.org") is not None


def test_export_gives_the_whole_record(store):
    store.add("ana@example.org", name="Ana", language="fr")
    data = store.export("ana@example.org")
    assert data["subscriber"]["address"] == "ana@example.org" and data["subscriber"]["name"] == "Ana"
    assert data["messages"] == []


def test_stats_and_paged_listing(store):
    for i in range(1203):
        store.add(f"p{i:04}@example.org", language=("fr", "nl", "en")[i % 3])
    store.unsubscribe("p0001@example.org", "x")
    listed = list(store.subscribers("newsletter", "active"))
    assert len(listed) == 1202 and listed[0].address == "p0000@example.org"
    stats = store.stats()
    assert stats["status"]["active"] == 1202 and stats["status"]["unsubscribed"] == 1
    assert stats["lists"]["newsletter"] == {"fr": 401, "nl": 400, "en": 401}


def test_bounces_hard_soft_and_complaints(store):
    for name in ("hard", "soft", "plaint"):
        store.add(f"{name}@example.org")
    assert store.record_bounce("hard@example.org", "hard", "5.1.1 no such user").status == "bounced"
    assert store.record_bounce("plaint@example.org", "complaint", "abuse").status == "complained"
    assert store.record_bounce("soft@example.org", "soft", "4.2.2 full").status == "active"
    store.delivered("soft@example.org")  # a delivery in between breaks the run
    for _ in range(2):
        assert store.record_bounce("soft@example.org", "soft", "4.2.2 full").status == "active"
    assert store.record_bounce("soft@example.org", "soft", "4.2.2 full").status == "bounced"


def test_expired_pending_subscriptions_are_deleted(store):
    store.subscribe("old@example.org", language="fr", lists=["newsletter"])
    store.subscribe("new@example.org", language="fr", lists=["newsletter"])
    store.db.execute("UPDATE subscribers SET created_at = '2000-01-01T00:00:00+00:00' WHERE address = ?",
                     ("old@example.org",))
    assert store.expire_pending() == 1
    assert store.get("old@example.org") is None and store.get("new@example.org").status == "pending"

"""CSV import: crebis, Mailchimp and listmonk columns; all or nothing; nobody who said stop comes back."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.errors import MailError
from pipeline.mail.csvimport import import_csv

MAILCHIMP = """\
Email Address,First Name,Last Name,MEMBER_RATING,OPTIN_TIME,OPTIN_IP,CONFIRM_TIME,CONFIRM_IP,LATITUDE,LONGITUDE,\
GMTOFF,DSTOFF,TIMEZONE,CC,REGION,LAST_CHANGED,LEID,EUID,NOTES,TAGS
ana@example.org,Ana,Peeters,2,"2025-11-02 09:14:00",192.0.2.10,"2025-11-02 09:20:11",192.0.2.10,,,,,,BE,,\
"2025-11-02 09:20:11",1,abc,,
bram@example.org,Bram,Claes,2,,,,,,,,,,,,,2,def,,
"""

LISTMONK = """\
uuid,email,name,attributes,status,created_at,updated_at
5e9a,chloe@example.org,Chloé Dubois,"{""language"": ""fr""}",enabled,2025-10-01 08:00:00,2025-10-01 08:00:00
6f0b,dirk@example.org,Dirk Maes,"{""language"": ""nl""}",blocklisted,2025-10-01 08:00:00,2025-10-02 08:00:00
"""


def write(tmp_path: Path, text: str, name: str = "in.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_mailchimp_export(store, tmp_path):
    report = import_csv(store, write(tmp_path, MAILCHIMP), lists=("newsletter",), language="nl")
    assert report.added == ["ana@example.org", "bram@example.org"]
    ana = store.get("ana@example.org")
    assert (ana.name, ana.language, ana.consent_method, ana.consent_ip) == ("Ana Peeters", "nl", "import", "192.0.2.10")
    assert ana.consent_at == "2025-11-02T09:20:11"


def test_listmonk_export_keeps_blocklisted_as_stopped(store, tmp_path):
    report = import_csv(store, write(tmp_path, LISTMONK))
    assert report.added == ["chloe@example.org"] and report.added_stopped == ["dirk@example.org"]
    assert store.get("chloe@example.org").language == "fr"
    assert store.get("dirk@example.org").status == "unsubscribed"


def test_every_bad_line_is_reported_and_nothing_is_imported(store, tmp_path):
    path = write(tmp_path, "email,name,language,lists\nok@example.org,Ok,fr,newsletter\nnot-an-address,X,fr,\n"
                           "de@example.org,Y,de,\nl@example.org,Z,en,weekly\nok@example.org,again,fr,\n")
    with pytest.raises(MailError) as caught:
        import_csv(store, path)
    message = str(caught.value)
    assert "4 bad line(s), nothing imported" in message
    for line, what in ((3, "not a valid email address"), (4, "unknown language 'de'"), (5, "unknown list(s) weekly"),
                       (6, "already on line 2")):
        assert f"in.csv:{line}: " in message and what in message
    assert store.get("ok@example.org") is None


def test_skip_invalid_imports_the_good_lines(store, tmp_path):
    path = write(tmp_path, "email,language\nok@example.org,en\nbad,fr\n")
    report = import_csv(store, path, skip_invalid=True)
    assert report.added == ["ok@example.org"] and report.invalid[0][0] == 3
    assert store.get("ok@example.org").language == "en"


def test_reimport_never_reactivates_who_said_stop(store, tmp_path):
    path = write(tmp_path, "email\nu@example.org\nb@example.org\nc@example.org\nf@example.org\n")
    import_csv(store, path)
    store.unsubscribe("u@example.org", "link")
    store.record_bounce("b@example.org", "hard", "5.1.1")
    store.record_bounce("c@example.org", "complaint", "arf")
    store.forget("f@example.org")
    report = import_csv(store, path)
    assert report.added == []
    assert {a for _, a, _ in report.skipped} == {"u@example.org", "b@example.org", "c@example.org", "f@example.org"}
    assert [store.get(a).status for a in ("u@example.org", "b@example.org", "c@example.org")] == [
        "unsubscribed", "bounced", "complained"]
    assert store.get("f@example.org") is None


def test_file_without_email_column(store, tmp_path):
    with pytest.raises(MailError, match=r"in.csv:1: no email column"):
        import_csv(store, write(tmp_path, "name,language\nAna,fr\n"))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300))
def test_fuzz_any_text_is_imported_or_refused_cleanly(tmp_path, text):
    from pipeline.config import parse_config
    from pipeline.mail.sql import Database
    from pipeline.mail.store import SubscriberStore
    db_path = tmp_path / "fuzz.sqlite"
    store = SubscriberStore(Database(str(db_path)), parse_config({}))
    before = store.stats()
    try:
        import_csv(store, write(tmp_path, "email,name,language\n" + text, "fuzz.csv"))
    except MailError as exc:
        assert "fuzz.csv" in str(exc)
        assert store.stats() == before
    store.close()
    db_path.unlink()

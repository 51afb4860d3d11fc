"""The subscription service over real HTTP (uvicorn on 127.0.0.1): double opt-in, preferences, unsubscribe,
RFC 8058 one-click, tokens, CSRF, honeypot and rate limits."""

from __future__ import annotations

import re
import time
from dataclasses import replace

import httpx
import pytest
from served import Served
from smtp_server import free_port

from pipeline.errors import MailError
from pipeline.mail.store import SubscriberStore
from pipeline.mail.tokens import make_token
from pipeline.web.subscriptions import create_app


def wait_for(predicate, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def form_post(client: httpx.Client, path: str, **fields) -> httpx.Response:
    page = client.get(path)
    assert page.status_code == 200, page.text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    return client.post(path, data={"csrf": csrf, **fields})


def store_of(project) -> SubscriberStore:
    return SubscriberStore.open(project)


def test_double_opt_in_in_the_readers_language(service):
    url, project, smtp = service
    with httpx.Client(base_url=url) as client:
        answer = form_post(client, "nl/", email="Lea@Example.org", name="Lea", language="nl",
                           lists=["newsletter", "digest"])
        assert answer.status_code == 200 and "Kijk in uw mailbox" in answer.text
        assert store_of(project).get("lea@example.org").status == "pending"
        wait_for(lambda: smtp.handler.messages)
        (mail,) = smtp.handler.parsed()
        assert mail["Subject"] == "Bevestig uw inschrijving" and mail["Content-Language"] == "nl"
        link = re.search(r"https://\S+/confirm/(\S+)", mail.get_content()).group(1)
        shown = client.get(f"confirm/{link}")
        assert shown.status_code == 200 and "<button" in shown.text
        assert store_of(project).get("lea@example.org").status == "pending"  # a prefetch confirms nothing
        done = client.post(f"confirm/{link}")
        assert done.status_code == 200 and "Inschrijving bevestigd" in done.text
        s = store_of(project).get("lea@example.org")
        assert (s.status, s.language, s.lists, s.consent_method, s.consent_ip) == (
            "active", "nl", ("digest", "newsletter"), "form", "127.0.0.1")


def test_unsubscribe_get_changes_nothing_and_one_click_post_works_twice(service):
    url, project, _ = service
    store_of(project).add("ana@example.org", language="fr")
    token = make_token("unsubscribe", "ana@example.org", issued=0)
    with httpx.Client(base_url=url) as client:
        shown = client.get(f"unsubscribe/{token}")
        assert shown.status_code == 200 and "Me désabonner" in shown.text and 'lang="fr"' in shown.text
        assert store_of(project).get("ana@example.org").status == "active"
        for _ in range(2):  # RFC 8058: a POST without cookie or login, idempotent
            done = httpx.post(f"{url}unsubscribe/{token}", content=b"List-Unsubscribe=One-Click",
                              headers={"Content-Type": "application/x-www-form-urlencoded"})
            assert done.status_code == 200 and "désabonné" in done.text
        s = store_of(project).get("ana@example.org")
        assert s.status == "unsubscribed" and s.unsubscribe_reason == "one-click"


def test_a_token_for_one_address_never_acts_on_another(service):
    url, project, _ = service
    store = store_of(project)
    store.add("ana@example.org")
    store.add("bob@example.org")
    token = make_token("unsubscribe", "ana@example.org", issued=0)
    _encoded, issued, mac = token.split(".")
    other = make_token("unsubscribe", "bob@example.org", issued=0).split(".")[0]
    forged = f"{other}.{issued}.{mac}"
    assert httpx.post(f"{url}unsubscribe/{forged}").status_code == 404
    assert httpx.post(f"{url}unsubscribe/{make_token('preferences', 'bob@example.org', issued=0)}").status_code == 404
    assert store_of(project).get("bob@example.org").status == "active"


def test_preferences_change_language_and_lists(service):
    url, project, _ = service
    store_of(project).add("ana@example.org", language="fr", lists=["newsletter"])
    token = make_token("preferences", "ana@example.org", issued=0)
    with httpx.Client(base_url=url) as client:
        saved = form_post(client, f"preferences/{token}", language="en", lists=["digest"], name="Ana")
        assert saved.status_code == 200 and "Your preferences are saved." in saved.text
    s = store_of(project).get("ana@example.org")
    assert (s.language, s.lists, s.name) == ("en", ("digest",), "Ana")


def test_csrf_honeypot_and_rate_limits(service):
    url, project, smtp = service
    no_token = httpx.post(f"{url}fr/", data={"email": "x@example.org", "lists": "newsletter"})
    assert no_token.status_code == 400 and store_of(project).get("x@example.org") is None
    with httpx.Client(base_url=url) as client:
        bot = form_post(client, "fr/", email="victim@example.org", lists=["newsletter"], website="http://spam")
        assert bot.status_code == 200 and store_of(project).get("victim@example.org") is None
        for _ in range(5):  # one stranger's address: at most 3 confirmation mails a day
            form_post(client, "en/", email="stranger@example.org", lists=["newsletter"])
        wait_for(lambda: len(smtp.handler.messages) >= 3)
        time.sleep(0.3)
        assert smtp.handler.received()["stranger@example.org"] == 3
        statuses = [form_post(client, "en/", email=f"p{i}@example.org", lists=["newsletter"]).status_code
                    for i in range(6)]
        assert statuses[-1] == 429  # 10 posts an hour from one IP


def test_the_sites_signup_form_posts_without_a_token_from_the_sites_origin_only(service):
    """The site's form (layouts/site/base.html; its fields: tests/render/test_site_pages.py) is a static page: no
    CSRF token, but the browser names its origin. Another site's post names another and is refused."""
    url, project, smtp = service
    fields = {"language": "nl", "lists": "newsletter", "email": "Reader@Example.org"}
    forged = httpx.post(f"{url}nl/", data=fields, headers={"Origin": "https://attacker.example"})
    assert forged.status_code == 400 and store_of(project).get("reader@example.org") is None
    answer = httpx.post(f"{url}nl/", data=fields, headers={"Origin": "https://crebis.example.org"})
    assert answer.status_code == 200 and "Kijk in uw mailbox" in answer.text
    subscriber = store_of(project).get("reader@example.org")
    assert (subscriber.status, subscriber.language, subscriber.lists) == ("pending", "nl", ("newsletter",))
    wait_for(lambda: smtp.handler.received()["reader@example.org"] == 1)


def test_without_a_service_url_the_service_says_what_to_set(service):
    _url, project, _smtp = service
    project = replace(project, config=replace(project.config, mail=replace(project.config.mail, service_url="")))
    with pytest.raises(MailError, match=r"mail.service_url is empty: set it in crebis.toml"):
        create_app(project)


def test_bad_input_is_shown_on_the_form(service):
    url, _project, _ = service
    with httpx.Client(base_url=url) as client:
        answer = form_post(client, "fr/", email="not an address", lists=[])
        assert answer.status_code == 400
        assert "pas valable" in answer.text and "au moins une publication" in answer.text
        assert 'value="not an address"' in answer.text


def test_the_sites_form_has_the_honeypot_a_robot_filling_it_subscribes_nobody(service, site_form):
    url, project, smtp = service
    fields = site_form(project, "fr")
    assert set(fields) == {"language", "lists", "email", "website"} and fields["website"] == ""
    origin = {"Origin": "https://crebis.example.org"}
    bot = httpx.post(f"{url}fr/", data={**fields, "email": "victim@example.org", "website": "http://spam.example"},
                     headers=origin)
    human = httpx.post(f"{url}fr/", data={**fields, "email": "reader@example.org"}, headers=origin)
    # The robot gets the same answer as a person, so it learns nothing; only the person is subscribed and mailed.
    assert bot.status_code == human.status_code == 200 and bot.text == human.text.replace("reader", "victim")
    assert store_of(project).get("victim@example.org") is None
    assert store_of(project).get("reader@example.org").status == "pending"
    wait_for(lambda: smtp.handler.received()["reader@example.org"] == 1)
    time.sleep(0.3)
    assert smtp.handler.received()["victim@example.org"] == 0


def test_a_post_for_a_stopped_address_keeps_its_record_until_its_owner_confirms(service):
    url, project, smtp = service
    store_of(project).add("ana@example.org", name="Ana", language="fr")
    store_of(project).unsubscribe("ana@example.org", "asked by phone")
    before = store_of(project).get("ana@example.org")
    with httpx.Client(base_url=url) as client:
        answer = form_post(client, "nl/", email="ana@example.org", language="nl", lists=["digest"])
        assert answer.status_code == 200 and "Kijk in uw mailbox" in answer.text
        assert store_of(project).get("ana@example.org") == before  # a stranger's post wipes nothing
        wait_for(lambda: smtp.handler.messages)
        (mail,) = smtp.handler.parsed()
        link = re.search(r"https://\S+/confirm/(\S+)", mail.get_content()).group(1)
        assert "<button" in client.get(f"confirm/{link}").text
        done = client.post(f"confirm/{link}")
        assert done.status_code == 200 and "Inschrijving bevestigd" in done.text
    s = store_of(project).get("ana@example.org")
    assert (s.status, s.language, s.lists, s.unsubscribe_reason) == ("active", "nl", ("digest",), None)


def test_an_old_confirmation_link_of_a_record_stopped_since_does_nothing(service):
    url, project, _ = service
    store_of(project).add("ana@example.org", language="fr")
    store_of(project).unsubscribe("ana@example.org", "link")
    token = make_token("confirm", "ana@example.org")
    assert httpx.get(f"{url}confirm/{token}").status_code == 404
    assert httpx.post(f"{url}confirm/{token}").status_code == 404
    assert store_of(project).get("ana@example.org").status == "unsubscribed"


def test_the_page_names_the_organisation_in_its_language_and_odd_paths_are_not_found(service):
    _url, project, _ = service
    organisation = replace(project.config.organisation, name={"fr": "Centre de test", "nl": "Testcentrum"})
    project = replace(project, config=replace(project.config, organisation=organisation))
    with Served(create_app(project, send_mail=False), free_port()) as served:
        nl = httpx.get(f"{served.url}nl/")
        assert "TEST – Testcentrum" in nl.text and "{" not in nl.text.split("<header>")[1].split("</header>")[0]
        assert "TEST – Centre de test" in httpx.get(f"{served.url}fr/").text
        assert httpx.get(f"{served.url}favicon.ico").status_code == 404
        assert httpx.get(f"{served.url}fr", follow_redirects=False).status_code == 307


def test_a_running_service_expires_old_sign_ups_without_a_restart(service, monkeypatch):
    import pipeline.web.subscriptions as subscriptions

    url, project, _ = service
    with httpx.Client(base_url=url) as client:
        form_post(client, "fr/", email="old@example.org", lists=["newsletter"])
        store_of(project).db.execute("UPDATE subscribers SET created_at = '2000-01-01T00:00:00+00:00'")
        monkeypatch.setattr(subscriptions, "EXPIRE_EVERY", 0.0)
        form_post(client, "fr/", email="new@example.org", lists=["newsletter"])
    assert store_of(project).get("old@example.org") is None
    assert store_of(project).get("new@example.org").status == "pending"

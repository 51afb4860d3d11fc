"""The subscription service: subscribe with double opt-in, confirm, preferences, unsubscribe, RFC 8058 one-click.

Routes (relative, so the app can live under any prefix of a reverse proxy):

  /                         language chooser
  /<lang>/                  subscribe form (GET) and its submission (POST)
  /<lang>/embed             the form alone, to embed in the site (an iframe)
  /confirm/<token>          GET shows a button (link scanners prefetch), POST confirms
  /preferences/<token>      language, lists and name; POST saves them
  /unsubscribe/<token>      GET shows a button and changes nothing; POST unsubscribes. The POST is also
                            RFC 8058's one-click (List-Unsubscribe=One-Click): no cookie, no login, idempotent.

Tokens are HMAC-signed with CREBIS_SECRET and name their address and purpose.
A subscribe form cannot mail-bomb a stranger: CSRF check (a token, or for the site's own
sign-up form its Origin), a honeypot field, and rate limits per IP and per address on the
confirmation mails, kept in the subscribers database so that every worker shares them.
"""

from __future__ import annotations

import datetime
import email.policy
import logging
import time
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid
from typing import Any
from urllib.parse import urlsplit

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from pipeline.errors import MailError
from pipeline.mail import smtp, tokens
from pipeline.mail.message import service_url
from pipeline.mail.ratelimit import RateLimit
from pipeline.mail.store import SubscriberStore, normalise_address
from pipeline.web.base import Csrf, client_ip, environment, make_app, page
from pipeline.web.labels import LABELS

log = logging.getLogger("crebis.subscriptions")

EXPIRE_EVERY = 3600.0  # seconds between two deletions of expired sign-ups by a running service


class Service:
    """The state behind the routes: the project, its store (one connection per request) and the limits."""

    def __init__(self, project: Any, *, send_mail: bool = True):
        self.project = project
        self.config = project.config
        self.key = tokens.secret()
        self.service_url = service_url(self.config)  # the links of its confirmation mails point there
        site = urlsplit(self.config.base_url)
        self.site_origin = f"{site.scheme}://{site.netloc}"
        self.csrf = Csrf(self.key)
        self.env = environment()
        self.languages = tuple(self.config.languages)
        # In the database, not in memory: uvicorn's workers (processes) share them.
        self.per_ip = RateLimit("subscribe-ip", 10, 3600.0, self.key)
        self.per_address = RateLimit("subscribe-address", 3, 86400.0, self.key)
        self.send_mail = send_mail
        self.expired_at = -EXPIRE_EVERY
        store = self.store()
        try:
            self.expire(store)
        finally:
            store.close()

    def expire(self, store: SubscriberStore) -> None:
        """Delete the unconfirmed sign-ups past `subscribers.pending_days`, at most once every EXPIRE_EVERY s
        (a service runs for months: expiring only at start-up kept them, and their IP addresses, for good)."""
        if time.monotonic() - self.expired_at >= EXPIRE_EVERY:
            self.expired_at = time.monotonic()
            store.expire_pending()

    def from_site(self, request: Request) -> bool:
        """A post from the sign-up form of the project's own site (base_url), which holds no CSRF token.

        Browsers name the page's origin in the Origin header of every cross-origin POST, and no
        page elsewhere can make them name another: a forged post from a third site says its own.
        """
        return request.headers.get("origin", "").rstrip("/") == self.site_origin

    def store(self) -> SubscriberStore:
        return SubscriberStore.open(self.project)

    def labels(self, lang: str) -> dict[str, str]:
        return LABELS.get(lang, LABELS["en"])

    def lists(self, lang: str) -> list[tuple[str, str]]:
        return [(name, options.label(lang)) for name, options in self.config.lists.items()]

    def render(self, template: str, lang: str, root: str, status: int = 200, **context: Any) -> Response:
        return page(self.env, template, status, lang=lang, labels=self.labels(lang), root=root,
                    organisation=self.config.organisation, organisation_name=self.config.organisation.name_in(lang),
                    brand=self.config.brand,
                    languages=[(c, LABELS[c]["language_name"]) for c in self.languages], **context)

    def message(self, lang: str, root: str, key: str, status: int = 200, **context: Any) -> Response:
        labels = self.labels(lang)
        return self.render("message.html", lang, root, status, title=labels[f"{key}_title"],
                           text=labels[f"{key}_text"], **context)

    # ------------------------------------------------------------ confirmation mail

    def confirmation_mail(self, address: str, lang: str, lists: tuple[str, ...]) -> None:
        """Send the double opt-in mail (runs after the response, so the page never waits for SMTP)."""
        labels = self.labels(lang)
        token = tokens.make_token("confirm", address, key=self.key)
        url = f"{self.service_url}confirm/{token}"
        names = ", ".join(self.config.lists[name].label(lang) for name in lists if name in self.config.lists)
        message = EmailMessage(policy=email.policy.SMTP)
        options = self.config.newsletter
        message["From"] = formataddr((options.sender_name, options.sender_address))
        message["To"] = address
        message["Subject"] = labels["mail_subject"]
        message["Date"] = format_datetime(datetime.datetime.now(datetime.UTC))
        message["Message-ID"] = make_msgid(domain=urlsplit(self.config.base_url).hostname or None)
        message.set_content(labels["mail_body"].format(address=address, lists=names, url=url,
                                                       organisation=self.config.organisation.name_in(lang)))
        message["Content-Language"] = lang
        try:
            connection = smtp.Connection(smtp.Server.from_options(self.config.smtp, smtp.password(self.config.smtp)))
            try:
                connection.send(options.sender_address, address, message.as_bytes(), lambda: True)
            finally:
                connection.close()
        except (MailError, smtp.TemporaryFailure, smtp.PermanentFailure, smtp.LostBeforeEnd,
                smtp.LostAfterEnd) as exc:
            log.error("confirmation mail to %s not sent: %s", address, exc)
        except Exception:  # runs after the response: a fault here must reach the log, not the reader
            log.exception("confirmation mail to %s not sent: an unexpected error (a bug in crebis)", address)


def _lang(request: Request, service: Service) -> str | None:
    lang = request.path_params.get("lang")
    return lang if lang in service.languages else None


async def index(request: Request) -> Response:
    service: Service = request.app.state.service
    lang = service.languages[0]
    return service.render("index.html", lang, "", title=" · ".join(
        LABELS[c]["choose_language"] for c in service.languages), embed=False)


async def style(request: Request) -> Response:
    service: Service = request.app.state.service
    css = service.env.get_template("style.css").render(brand=service.config.brand)
    return Response(css, media_type="text/css")


async def subscribe(request: Request) -> Response:
    service: Service = request.app.state.service
    lang = _lang(request, service)
    if lang is None:
        return Response("Not found", status_code=404, media_type="text/plain")
    embed = request.url.path.rstrip("/").endswith("/embed")
    root = "../"
    labels = service.labels(lang)
    csrf, cookie = service.csrf.issue(request)
    form: dict[str, Any] = {"email": "", "name": "", "language": lang, "lists": ("newsletter",)}
    errors: list[str] = []
    if request.method == "POST":
        data = await request.form()
        if not (service.csrf.valid(request, data.get("csrf")) or service.from_site(request)):
            response = service.message(lang, root, "bad_form", 400, embed=embed)
            Csrf.set_cookie(response, cookie, request.url.scheme == "https")
            return response
        form = {"email": str(data.get("email", "")), "name": str(data.get("name", ""))[:200],
                "language": str(data.get("language", lang)), "lists": tuple(str(x) for x in data.getlist("lists"))}
        if data.get("website"):  # the honeypot: only robots fill it; they get the usual answer and nothing happens
            return service.message(lang, root, "check", embed=embed)
        store = service.store()
        try:
            service.expire(store)
            if not service.per_ip.allow(store.db, client_ip(request)):
                return service.message(lang, root, "too_many", 429, embed=embed)
            try:
                address = normalise_address(form["email"])
            except MailError:
                errors.append(labels["bad_email"])
                address = ""
            chosen = tuple(name for name in form["lists"] if name in service.config.lists)
            if not chosen:
                errors.append(labels["no_list"])
            language = form["language"] if form["language"] in service.languages else lang
            task = None
            if not errors and service.per_address.allow(store.db, address):
                subscriber = store.subscribe(address, name=form["name"], language=language, lists=chosen,
                                             ip=client_ip(request))
                if store.awaits_confirmation(subscriber) and service.send_mail:
                    task = BackgroundTask(service.confirmation_mail, address, language, chosen)
        finally:
            store.close()
        if not errors:
            # The same answer whatever the address's state: the page says nothing about who is subscribed.
            response = service.message(language, root, "check", embed=embed)
            response.background = task
            return response
    response = service.render("subscribe.html", lang, root, 400 if errors else 200, title=labels["subscribe_title"],
                              csrf=csrf, form=form, errors=errors, lists=service.lists(lang), embed=embed)
    Csrf.set_cookie(response, cookie, request.url.scheme == "https")
    return response


def _subscriber_from(request: Request, service: Service, purpose: str, max_age: float | None = None
                     ) -> tuple[str | None, Any]:
    address = tokens.read_token(purpose, request.path_params["token"], key=service.key, max_age=max_age)
    if address is None:
        return None, None
    store = service.store()
    try:
        return address, store.get(address)
    finally:
        store.close()


def _page_lang(service: Service, subscriber: Any, request: Request) -> str:
    if subscriber is not None and subscriber.language in service.languages:
        return subscriber.language
    accept = request.headers.get("accept-language", "")[:2].lower()
    return accept if accept in service.languages else service.languages[0]


async def confirm(request: Request) -> Response:
    service: Service = request.app.state.service
    max_age = service.config.subscribers.pending_days * 86400
    address, subscriber = _subscriber_from(request, service, "confirm", max_age)
    lang = _page_lang(service, subscriber, request)
    labels = service.labels(lang)
    if subscriber is None:
        return service.message(lang, "../", "invalid", 404, link=f"../{lang}/", link_text=labels["subscribe_title"])
    store = service.store()
    try:
        if request.method == "POST":
            service.expire(store)
            subscriber = store.confirm(address)
        waiting = store.awaits_confirmation(subscriber)
    finally:
        store.close()
    if subscriber.status == "active":
        return service.message(_page_lang(service, subscriber, request), "../", "confirmed")
    if not waiting:  # stopped since, with no new request: the link is from before the stop
        return service.message(lang, "../", "invalid", 404, link=f"../{lang}/", link_text=labels["subscribe_title"])
    return service.render("confirm.html", lang, "../", title=labels["confirm_title"],
                          text=labels["confirm_text"].format(address=address), button=labels["confirm_button"],
                          csrf=None)


async def preferences(request: Request) -> Response:
    service: Service = request.app.state.service
    address, subscriber = _subscriber_from(request, service, "preferences")
    lang = _page_lang(service, subscriber, request)
    labels = service.labels(lang)
    if subscriber is None or subscriber.status not in ("active", "pending"):
        return service.message(lang, "../", "invalid", 404, link=f"../{lang}/", link_text=labels["subscribe_title"])
    csrf, cookie = service.csrf.issue(request)
    saved = False
    if request.method == "POST":
        data = await request.form()
        if not service.csrf.valid(request, data.get("csrf")):
            response = service.message(lang, "../", "bad_form", 400)
            Csrf.set_cookie(response, cookie, request.url.scheme == "https")
            return response
        language = str(data.get("language", subscriber.language))
        language = language if language in service.languages else subscriber.language
        chosen = [str(x) for x in data.getlist("lists") if str(x) in service.config.lists]
        store = service.store()
        try:
            subscriber = store.set_preferences(address, language=language, lists=chosen,
                                               name=str(data.get("name", subscriber.name))[:200])
        finally:
            store.close()
        if subscriber.status == "unsubscribed":
            return service.message(subscriber.language, "../", "unsubscribed")
        lang, labels, saved = subscriber.language, service.labels(subscriber.language), True
    unsubscribe = tokens.make_token("unsubscribe", address, key=service.key, issued=0)
    response = service.render("preferences.html", lang, "../", title=labels["preferences_title"],
                              text=labels["preferences_text"].format(address=address), csrf=csrf,
                              subscriber=subscriber, lists=service.lists(lang), saved=saved,
                              unsubscribe_url=f"../unsubscribe/{unsubscribe}")
    Csrf.set_cookie(response, cookie, request.url.scheme == "https")
    return response


async def unsubscribe(request: Request) -> Response:
    service: Service = request.app.state.service
    address, subscriber = _subscriber_from(request, service, "unsubscribe")
    lang = _page_lang(service, subscriber, request)
    labels = service.labels(lang)
    if address is None:
        return service.message(lang, "../", "invalid", 404, link=f"../{lang}/", link_text=labels["subscribe_title"])
    if request.method == "POST":
        # RFC 8058: the body is List-Unsubscribe=One-Click from a mail provider, or our own button; both act.
        if subscriber is not None:
            store = service.store()
            try:
                store.unsubscribe(address, "one-click" if request.headers.get("content-type", "").startswith(
                    "application/x-www-form-urlencoded") and (await request.body()).strip() ==
                    b"List-Unsubscribe=One-Click" else "unsubscribe page")
            finally:
                store.close()
        return service.message(lang, "../", "unsubscribed", link=f"../{lang}/", link_text=labels["subscribe_title"])
    if subscriber is None or subscriber.status != "active":
        return service.message(lang, "../", "unsubscribed", link=f"../{lang}/", link_text=labels["subscribe_title"])
    return service.render("confirm.html", lang, "../", title=labels["unsubscribe_title"],
                          text=labels["unsubscribe_text"].format(address=address),
                          button=labels["unsubscribe_button"], csrf=None)


async def _to_language(request: Request) -> Response:
    """/fr → /fr/; any other one-segment path (favicon.ico, robots.txt) is simply not found."""
    if _lang(request, request.app.state.service) is None:
        return Response("Not found", status_code=404, media_type="text/plain")
    return RedirectResponse(f"{request.path_params['lang']}/")


def create_app(project: Any, *, send_mail: bool = True) -> Any:
    """The subscription service of `project` as a Starlette app (CREBIS_SECRET must be set)."""
    service = Service(project, send_mail=send_mail)
    site = urlsplit(project.config.base_url)
    routes = [
        Route("/", index),
        Route("/style.css", style),
        Route("/{lang}", _to_language),
        Route("/{lang}/", subscribe, methods=["GET", "POST"]),
        Route("/{lang}/embed", subscribe, methods=["GET", "POST"]),
        Route("/confirm/{token}", confirm, methods=["GET", "POST"]),
        Route("/preferences/{token}", preferences, methods=["GET", "POST"]),
        Route("/unsubscribe/{token}", unsubscribe, methods=["GET", "POST"]),
    ]
    return make_app(routes, frame_ancestors=f"'self' {site.scheme}://{site.netloc}", state={"service": service})

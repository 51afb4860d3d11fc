"""Two instances of the subscription service over one subscribers database (as uvicorn's workers are, each a
process with its own memory) share their rate limits: a robot gains nothing by spreading its posts."""

from __future__ import annotations

import re
import time

import httpx


def post(client: httpx.Client, base: str, **fields) -> int:
    page = client.get(f"{base}en/")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    return client.post(f"{base}en/", data={"csrf": csrf, **fields}).status_code


def test_rate_limits_hold_across_instances(two_services):
    (one, two), _project, smtp = two_services
    with httpx.Client() as client:
        for i in range(5):  # one stranger's address, posted to both in turn: 3 confirmation mails a day in all
            assert post(client, (one, two)[i % 2], email="stranger@example.org", lists=["newsletter"]) == 200
        deadline = time.monotonic() + 10
        while len(smtp.handler.messages) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)
        assert smtp.handler.received()["stranger@example.org"] == 3
        statuses = [post(client, (one, two)[i % 2], email=f"p{i}@example.org", lists=["newsletter"])
                    for i in range(6)]
        assert statuses == [200] * 5 + [429]  # 10 posts an hour from one IP, whichever instance gets them

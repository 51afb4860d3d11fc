"""HMAC-signed tokens for the links of messages and pages, and the keyed hash of forgotten addresses.

The key is `CREBIS_SECRET` from the environment, never from the repository. A token
names its purpose and its address; changing either breaks the signature, so a link
made for one address never acts on another.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import time

from pipeline.errors import MailError

SECRET_ENV = "CREBIS_SECRET"
MIN_SECRET_LENGTH = 16


def secret() -> bytes:
    """The key from `CREBIS_SECRET`; a clear error if it is missing or short."""
    value = os.environ.get(SECRET_ENV, "")
    if len(value) < MIN_SECRET_LENGTH:
        raise MailError(f"set the environment variable {SECRET_ENV} to a random secret of at least "
                        f"{MIN_SECRET_LENGTH} characters (e.g. `python -c 'import secrets; "
                        f"print(secrets.token_urlsafe(32))'`); it signs subscription links and must stay the same")
    return value.encode()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(key: bytes, purpose: str, payload: str) -> str:
    return _b64(hmac.new(key, f"{purpose}\n{payload}".encode(), hashlib.sha256).digest()[:18])


def make_token(purpose: str, address: str, *, key: bytes | None = None, issued: int | None = None) -> str:
    """A token for `purpose` (unsubscribe, preferences, confirm) and `address`, with the time it was issued."""
    payload = f"{_b64(address.encode())}.{issued if issued is not None else int(time.time()):x}"
    return f"{payload}.{_mac(key or secret(), purpose, payload)}"


def read_token(purpose: str, token: str, *, key: bytes | None = None, max_age: float | None = None) -> str | None:
    """The address a valid token was made for, else None (forged, altered, other purpose, or too old)."""
    try:
        encoded, issued_hex, mac = token.split(".")
        payload = f"{encoded}.{issued_hex}"
        if not hmac.compare_digest(mac, _mac(key or secret(), purpose, payload)):
            return None
        if max_age is not None and time.time() - int(issued_hex, 16) > max_age:
            return None
        return _unb64(encoded).decode()
    except (ValueError, UnicodeDecodeError):
        return None


def address_hash(address: str, key: bytes | None = None) -> str:
    """The keyed hash a forgotten address leaves on the suppression list: it cannot be read back."""
    return hmac.new(key or secret(), f"suppress\n{address}".encode(), hashlib.sha256).hexdigest()

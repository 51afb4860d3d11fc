"""DKIM signatures (RFC 6376, RFC 8463): rsa-sha256 and ed25519-sha256, relaxed/simple.

dkimpy's canonicalisation does the RFC's part (header and body canonical forms, the
header hash, folding); the private-key operation is done by OpenSSL through
`cryptography`, with the key parsed once per send. `dkim.sign` would instead parse the
PEM key and split the whole message into lines for every message, and its RSA is pure
Python (about 8 ms a signature). Only the header block is parsed here: the body is
hashed as it is. dkimpy verifies what this writes (tests/mail/test_send.py).
"""

from __future__ import annotations

import base64
import hashlib
import time
from pathlib import Path

import dkim
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa, utils
from dkim.canonicalization import CanonicalizationPolicy

from pipeline.errors import MailError

# The headers the issue asks to sign; both List-Unsubscribe headers, so no relay can change where they point.
SIGNED_HEADERS = ("from", "to", "subject", "date", "message-id", "list-id", "list-unsubscribe",
                  "list-unsubscribe-post", "content-language", "mime-version", "content-type")

# relaxed headers (a relay may refold them), simple body (a relay must not touch it); dkimpy's default too.
_CANON = CanonicalizationPolicy.from_c_value(b"relaxed/simple")
_NAME = b"DKIM-Signature"


class Signer:
    """Signs messages for one domain and selector with one key, loaded once."""

    def __init__(self, key_file: Path, selector: str, domain: str, algorithm: str = "rsa-sha256"):
        if not selector:
            raise MailError("mail.dkim_selector is empty: set the selector of your DKIM DNS record in crebis.toml")
        self.selector, self.domain, self.algorithm = selector.encode(), domain.encode(), algorithm
        try:
            data = key_file.read_bytes()
        except OSError as exc:
            raise MailError(f"{key_file}: cannot read the DKIM key ({exc.strerror}): check mail.dkim_key in "
                            "crebis.toml") from None
        self._rsa: rsa.RSAPrivateKey | None = None
        self._ed25519: ed25519.Ed25519PrivateKey | None = None
        try:
            if algorithm == "rsa-sha256":
                key = serialization.load_pem_private_key(data, password=None)
                if not isinstance(key, rsa.RSAPrivateKey):
                    raise ValueError("not an RSA key")
                if key.key_size < 1024:
                    raise ValueError(f"a {key.key_size}-bit key is too short (use 2048 bits)")
                self._rsa = key
            else:
                if data.lstrip().startswith(b"-----BEGIN"):
                    key = serialization.load_pem_private_key(data, password=None)
                    if not isinstance(key, ed25519.Ed25519PrivateKey):
                        raise ValueError("not an Ed25519 key")
                else:
                    seed = base64.b64decode(data.strip(), validate=True)
                    if len(seed) != 32:
                        raise ValueError("an Ed25519 key is 32 bytes")
                    key = ed25519.Ed25519PrivateKey.from_private_bytes(seed)
                self._ed25519 = key
        except (ValueError, TypeError) as exc:
            raise MailError(f"{key_file}: not a usable {algorithm} private key ({exc}): give a PEM file "
                            "(or, for ed25519, the base64 seed) in mail.dkim_key") from None

    def sign(self, message: bytes) -> bytes:
        """The DKIM-Signature header line(s) for `message` (CRLF line ends), to put before its headers."""
        head, _, body = message.partition(b"\r\n\r\n")
        try:
            headers, _ = dkim.rfc822_parse(head + b"\r\n\r\n")
        except dkim.DKIMException as exc:
            raise MailError(f"DKIM signing failed: {exc}") from None
        present = {name.lower() for name, _ in headers}
        include = tuple(h.encode() for h in SIGNED_HEADERS if h.encode() in present)
        body_hash = base64.b64encode(hashlib.sha256(_CANON.canonicalize_body(body)).digest())
        # The tags and their order are dkimpy's (DKIM.sign), b= last and folded onto its own line.
        fields = [(b"v", b"1"), (b"a", self.algorithm.encode()), (b"c", _CANON.to_c_value()), (b"d", self.domain),
                  (b"i", b"@" + self.domain), (b"q", b"dns/txt"), (b"s", self.selector),
                  (b"t", str(int(time.time())).encode()), (b"h", b" : ".join(include)), (b"bh", body_hash),
                  (b"b", b"0" * 60)]
        value = dkim.RE_BTAG.sub(b"\\1", dkim.fold(b"; ".join(b"=".join(f) for f in fields), namelen=len(_NAME)))
        digest = hashlib.sha256()
        dkim.hash_headers(digest, _CANON, _CANON.canonicalize_headers(headers), include, (_NAME, b" " + value),
                          dict(fields))
        if self._rsa is not None:
            signature = self._rsa.sign(digest.digest(), padding.PKCS1v15(), utils.Prehashed(hashes.SHA256()))
        else:
            assert self._ed25519 is not None
            signature = self._ed25519.sign(digest.digest())  # RFC 8463: Ed25519 over the SHA-256 header hash
        fields[-1] = (b"b", base64.b64encode(signature))
        return _NAME + b": " + dkim.fold(b"; ".join(b"=".join(f) for f in fields) + b"\r\n", namelen=len(_NAME))


def signer_for(project: object) -> Signer | None:
    """The project's signer, or None when `mail.dkim_key` is empty (messages go unsigned)."""
    config = project.config  # type: ignore[attr-defined]
    options = config.mail
    if not options.dkim_key:
        return None
    domain = options.dkim_domain or config.newsletter.sender_address.rpartition("@")[2]
    return Signer(project.path(options.dkim_key), options.dkim_selector, domain, options.dkim_algorithm)  # type: ignore[attr-defined]

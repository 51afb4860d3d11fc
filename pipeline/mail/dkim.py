"""DKIM signatures (RFC 6376, RFC 8463) with dkimpy: rsa-sha256 and ed25519-sha256.

dkimpy canonicalises and hashes the headers and body and writes the DKIM-Signature
header. Its RSA primitive is pure Python (a 2048-bit signature costs about 8 ms,
most of a message's budget), so for RSA the one private-key operation is done by
OpenSSL through `cryptography` instead; the signature is the same PKCS #1 v1.5
over the same hash, and dkimpy verifies it.
"""

from __future__ import annotations

import base64
from pathlib import Path

import dkim
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa, utils

from pipeline.errors import MailError

# The headers the issue asks to sign; both List-Unsubscribe headers, so no relay can change where they point.
SIGNED_HEADERS = ("from", "to", "subject", "date", "message-id", "list-id", "list-unsubscribe",
                  "list-unsubscribe-post", "content-language", "mime-version", "content-type")


class _OpenSSLDKIM(dkim.DKIM):
    """dkimpy's signer, with the RSA private-key operation done by OpenSSL."""

    def __init__(self, message: bytes, key: rsa.RSAPrivateKey):
        super().__init__(message)
        self._openssl_key = key

    def gen_header(self, fields, include_headers, canon_policy, header_name, pk, standardize=False):
        header_value = b"; ".join(b"=".join(x) for x in fields)
        header_value = dkim.fold(header_value, namelen=len(header_name), linesep=b"\r\n")
        header_value = dkim.RE_BTAG.sub(b"\\1", header_value)
        header = (header_name, b" " + header_value)
        h = dkim.HashThrough(self.hasher(), self.debug_content)
        sig = dict(fields)
        headers = canon_policy.canonicalize_headers(self.headers)
        self.signed_headers = dkim.hash_headers(h, canon_policy, headers, include_headers, header, sig)
        signature = self._openssl_key.sign(h.digest(), padding.PKCS1v15(), utils.Prehashed(hashes.SHA256()))
        idx = next(i for i, field in enumerate(fields) if field[0] == b"b")
        fields[idx] = (b"b", base64.b64encode(signature))
        header_value = b"; ".join(b"=".join(x) for x in fields) + self.linesep
        return dkim.fold(header_value, namelen=len(header_name), linesep=self.linesep)


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
        self._pem = b""
        self._ed25519_seed = b""
        try:
            if algorithm == "rsa-sha256":
                key = serialization.load_pem_private_key(data, password=None)
                if not isinstance(key, rsa.RSAPrivateKey):
                    raise ValueError("not an RSA key")
                if key.key_size < 1024:
                    raise ValueError(f"a {key.key_size}-bit key is too short (use 2048 bits)")
                self._rsa = key
                # dkimpy parses a PKCS #1 PEM before calling the signing step.
                self._pem = key.private_bytes(serialization.Encoding.PEM,
                                              serialization.PrivateFormat.TraditionalOpenSSL,
                                              serialization.NoEncryption())
            else:
                if data.lstrip().startswith(b"-----BEGIN"):
                    key = serialization.load_pem_private_key(data, password=None)
                    if not isinstance(key, ed25519.Ed25519PrivateKey):
                        raise ValueError("not an Ed25519 key")
                    seed = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                             serialization.NoEncryption())
                else:
                    seed = base64.b64decode(data.strip(), validate=True)
                if len(seed) != 32:
                    raise ValueError("an Ed25519 key is 32 bytes")
                self._ed25519_seed = base64.b64encode(seed)
        except (ValueError, TypeError) as exc:
            raise MailError(f"{key_file}: not a usable {algorithm} private key ({exc}): give a PEM file "
                            "(or, for ed25519, the base64 seed) in mail.dkim_key") from None

    def sign(self, message: bytes) -> bytes:
        """The DKIM-Signature header line(s) for `message` (CRLF line ends), to put before its headers."""
        include = [h.encode() for h in SIGNED_HEADERS]
        present = {line.split(b":", 1)[0].strip().lower() for line in message.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
                   if b":" in line and not line[:1].isspace()}
        include = [h for h in include if h in present]
        try:
            if self._rsa is not None:
                signer = _OpenSSLDKIM(message, self._rsa)
                return signer.sign(self.selector, self.domain, self._pem, include_headers=include,
                                   canonicalize=(b"relaxed", b"simple"))
            return dkim.DKIM(message).sign(self.selector, self.domain, self._ed25519_seed,
                                           signature_algorithm=b"ed25519-sha256", include_headers=include,
                                           canonicalize=(b"relaxed", b"simple"))
        except dkim.DKIMException as exc:
            raise MailError(f"DKIM signing failed: {exc}") from None


def signer_for(project: object) -> Signer | None:
    """The project's signer, or None when `mail.dkim_key` is empty (messages go unsigned)."""
    config = project.config  # type: ignore[attr-defined]
    options = config.mail
    if not options.dkim_key:
        return None
    domain = options.dkim_domain or config.newsletter.sender_address.rpartition("@")[2]
    return Signer(project.path(options.dkim_key), options.dkim_selector, domain, options.dkim_algorithm)  # type: ignore[attr-defined]

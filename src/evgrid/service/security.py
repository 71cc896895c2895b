"""Pile credentials and TLS.

OCPP security profiles (OCPP 1.6 security whitepaper edition 2, section 2; the same in 2.0.1
part 2, A00):

* profile 1: HTTP Basic authentication, user = the pile's id, password = its
  ``AuthorizationKey`` (at least 16 random bytes) -- the service accepts it on the loopback
  listener only;
* profile 2: profile 1 over TLS 1.2 or later (server certificate);
* profile 3: mutual TLS, the pile's client certificate names it (CN = its id here; the
  whitepaper has CN = serial number and O = operator).

Each profile has its own port and a pile registered for one profile is refused on the others.
Keys are stored as salted SHA-256 hashes: they are 192-bit random strings, so a fast hash is
enough (as for API tokens) and 200 piles reconnecting at once cost microseconds, not seconds.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import ssl
from pathlib import Path

KEY_BYTES = 24
"""Random bytes of a generated key [-] (whitepaper: at least 16)."""


def new_key() -> str:
    """A new random pile key (URL-safe text, 32 characters)."""
    return secrets.token_urlsafe(KEY_BYTES)


def hash_key(key: str, salt: bytes | None = None) -> str:
    """Salted hash of a key, as stored: ``sha256$<salt hex>$<digest hex>``."""
    salt = secrets.token_bytes(16) if salt is None else salt
    digest = hashlib.sha256(salt + key.encode("utf-8")).hexdigest()
    return f"sha256${salt.hex()}${digest}"


def verify_key(key: str, stored: str | None) -> bool:
    """Whether ``key`` matches a stored hash (constant time)."""
    if not stored:
        return False
    try:
        scheme, salt_hex, digest = stored.split("$")
        salt = bytes.fromhex(salt_hex)
    except ValueError:
        return False
    if scheme != "sha256":
        return False
    return hmac.compare_digest(hash_key(key, salt).split("$")[2], digest)


def basic_credentials(header: str | None) -> tuple[str, str] | None:
    """User and password of an HTTP ``Authorization: Basic`` header, None if absent or bad."""
    if not header or not header.lower().startswith("basic "):
        return None
    try:
        text = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, sep, password = text.partition(":")
    return (user, password) if sep else None


def basic_header(user: str, password: str) -> str:
    """An ``Authorization`` header value for HTTP Basic authentication."""
    token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
    return f"Basic {token}"


def server_context(
    certfile: str | Path, keyfile: str | Path, client_ca: str | Path | None = None
) -> ssl.SSLContext:
    """TLS server context: TLS 1.2 or later; with ``client_ca``, client certificates required
    (security profile 3)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(str(certfile), str(keyfile))
    if client_ca is not None:
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_verify_locations(str(client_ca))
    return ctx


def client_context(
    ca: str | Path, certfile: str | Path | None = None, keyfile: str | Path | None = None
) -> ssl.SSLContext:
    """TLS client context (a pile or the simulator) trusting ``ca``; with a certificate for
    mutual TLS."""
    ctx = ssl.create_default_context(cafile=str(ca))
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    if certfile is not None:
        ctx.load_cert_chain(str(certfile), None if keyfile is None else str(keyfile))
    return ctx


def peer_common_name(ssl_object: object) -> str | None:
    """Common name of the peer's verified certificate, None without one."""
    getpeercert = getattr(ssl_object, "getpeercert", None)
    if getpeercert is None:
        return None
    cert = getpeercert()
    if not cert:
        return None
    for rdn in cert.get("subject", ()):
        for key, value in rdn:
            if key == "commonName":
                return str(value)
    return None

"""Connector secrets at rest, sealed with keys derived from ``settings.secret_key`` — stdlib only.

Secrets a webhook must verify with (HMAC keys, echoed tokens) or send to a CRM (API tokens) cannot be
one-way hashed, so they are encrypted. The construction is encrypt-then-MAC:

* two independent 256-bit keys are derived from the secret key with HMAC-SHA256 (one to encrypt, one to
  authenticate), so the same secret never keys two jobs;
* encryption is a PRF-based stream cipher: keystream block ``i`` is ``HMAC-SHA256(k_enc, nonce || i)``
  with a fresh random 16-byte nonce per value (HMAC is a PRF, so this is counter mode with HMAC as the
  block function); the ciphertext is the plaintext XOR the keystream;
* the tag is ``HMAC-SHA256(k_mac, version || nonce || context || ciphertext)`` and is checked in constant
  time before anything is decrypted. ``context`` (connector id and field name) is bound into the tag, so a
  sealed value copied to another connector or field is refused.

We chose this over AES-GCM to keep the ``cryptography`` wheel out of the dependencies. Rotating
``ARENA_SECRET_KEY`` makes sealed secrets unreadable: re-create the connectors after a rotation.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

VERSION = "s1"
NONCE_BYTES = 16
TAG_BYTES = 32
BLOCK_BYTES = 32


class SealError(ValueError):
    """A sealed value is malformed, was tampered with, or was sealed under another key or context."""


def _derive(secret_key: str, purpose: bytes) -> bytes:
    if not secret_key:
        raise SealError("no secret key configured")
    return hmac.new(secret_key.encode(), b"sales-arena/connector-secrets/" + purpose, hashlib.sha256).digest()


def _keystream(key: bytes, nonce: bytes, length: int) -> bytes:
    blocks = (length + BLOCK_BYTES - 1) // BLOCK_BYTES
    return b"".join(
        hmac.new(key, nonce + counter.to_bytes(8, "big"), hashlib.sha256).digest() for counter in range(blocks)
    )[:length]


def _tag(key: bytes, nonce: bytes, context: str, ciphertext: bytes) -> bytes:
    context_bytes = context.encode()
    message = VERSION.encode() + nonce + len(context_bytes).to_bytes(4, "big") + context_bytes + ciphertext
    return hmac.new(key, message, hashlib.sha256).digest()


def seal(plaintext: str, *, secret_key: str, context: str) -> str:
    """``s1.<base64url(nonce || ciphertext || tag)>``; a new nonce each time, so equal secrets differ."""
    enc_key, mac_key = _derive(secret_key, b"enc/v1"), _derive(secret_key, b"mac/v1")
    nonce = secrets.token_bytes(NONCE_BYTES)
    data = plaintext.encode()
    ciphertext = bytes(a ^ b for a, b in zip(data, _keystream(enc_key, nonce, len(data)), strict=True))
    blob = nonce + ciphertext + _tag(mac_key, nonce, context, ciphertext)
    return f"{VERSION}.{base64.urlsafe_b64encode(blob).decode()}"


def unseal(sealed: str, *, secret_key: str, context: str) -> str:
    """The plaintext, after the tag checked out; SealError otherwise (nothing is decrypted before that)."""
    version, _, encoded = sealed.partition(".")
    if version != VERSION:
        raise SealError(f"unknown sealing version {version!r}")
    try:
        blob = base64.urlsafe_b64decode(encoded.encode())
    except ValueError:
        raise SealError("sealed value is not base64") from None
    if len(blob) < NONCE_BYTES + TAG_BYTES:
        raise SealError("sealed value is too short")
    nonce, ciphertext, tag = blob[:NONCE_BYTES], blob[NONCE_BYTES:-TAG_BYTES], blob[-TAG_BYTES:]
    enc_key, mac_key = _derive(secret_key, b"enc/v1"), _derive(secret_key, b"mac/v1")
    if not hmac.compare_digest(tag, _tag(mac_key, nonce, context, ciphertext)):
        raise SealError("sealed value failed authentication (other key, other context, or tampered)")
    data = bytes(a ^ b for a, b in zip(ciphertext, _keystream(enc_key, nonce, len(ciphertext)), strict=True))
    try:
        return data.decode()
    except UnicodeDecodeError:
        raise SealError("sealed value is not text") from None

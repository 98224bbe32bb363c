"""Encryption of PHI values at rest: AES-256-GCM under a key derived from PHI_MASTER_KEY.

A value becomes the text token `enc1:<key id>:<base64url(nonce || ciphertext+tag)>`:
- a fresh random 96-bit nonce per value, so equal plaintexts give different tokens;
- associated data `b"<table>.<column>"`, so a token copied into another column (or table) does
  not decrypt;
- the key id of the master key it was encrypted under, so any key still listed in PHI_MASTER_KEY
  decrypts it and `rotate_phi_key` can find the values not yet under the current key.

Errors name the table, column and key id, never the plaintext or key material.
"""

import base64
import binascii
import os
import re

from cryptography.exceptions import InvalidTag

from security.keys import keyring

PREFIX = "enc1"
NONCE_BYTES = 12
# 12-byte nonce + 16-byte tag = 28 bytes, at least 38 base64url characters.
TOKEN_PATTERN = re.compile(r"enc1:([0-9a-f]{8}):([A-Za-z0-9_-]{38,})")


class DecryptionError(ValueError):
    """A token could not be decrypted. Carries no plaintext and no key material."""


def _aad(table: str, column: str) -> bytes:
    return f"{table}.{column}".encode()


def encrypt(plaintext: str, *, table: str, column: str) -> str:
    key = keyring().current
    nonce = os.urandom(NONCE_BYTES)
    sealed = key.cipher.encrypt(nonce, plaintext.encode("utf-8"), _aad(table, column))
    payload = base64.urlsafe_b64encode(nonce + sealed).rstrip(b"=").decode("ascii")
    return f"{PREFIX}:{key.key_id}:{payload}"


def is_encrypted(value) -> bool:
    return isinstance(value, str) and TOKEN_PATTERN.fullmatch(value) is not None


def token_key_id(token: str) -> str | None:
    match = TOKEN_PATTERN.fullmatch(token) if isinstance(token, str) else None
    return match.group(1) if match else None


def decrypt(token: str, *, table: str, column: str) -> str:
    match = TOKEN_PATTERN.fullmatch(token) if isinstance(token, str) else None
    if match is None:
        raise DecryptionError(f"{table}.{column}: the value is not an {PREFIX} token")
    key_id, payload = match.groups()
    key = keyring().get(key_id)
    if key is None:
        raise DecryptionError(
            f"{table}.{column}: encrypted under key id {key_id}, which PHI_MASTER_KEY does not "
            "hold (was a previous key removed before rotate_phi_key finished?)"
        )
    try:
        raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
        plaintext = key.cipher.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], _aad(table, column))
    except (InvalidTag, binascii.Error, ValueError):
        raise DecryptionError(
            f"{table}.{column}: the value does not decrypt under key id {key_id} "
            "(it was altered, or it belongs to another table or column)"
        ) from None
    return plaintext.decode("utf-8")

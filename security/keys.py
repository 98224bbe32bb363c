"""The service's three keys: parsing, validation, key ids, derived keys and generation.

- `PHI_MASTER_KEY`: 32 random bytes, base64. During a rotation it holds the new (current) key
  followed by the previous keys, comma-separated: `PHI_MASTER_KEY=<new>,<old>`. New values are
  always encrypted under the first key; every listed key decrypts. A single key is the normal case.
  Two keys are derived from each master key with HKDF-SHA256, one per purpose (data encryption and
  the phone blind index), so neither use can leak the other's key.
- `PHI_RSA_PRIVATE_KEY`: base64 of an unencrypted PEM RSA private key of at least 2048 bits (a PEM
  pasted as is is accepted too). It signs the audit checkpoints.
- `HIPAA_AUDIT_KEY`: at least 32 random bytes, base64. It keys the HMAC chain of the audit log.

Every problem is reported by the key's name and what is wrong with it, never with its value:
messages and exceptions here must never carry key material.
"""

import base64
import binascii
import hashlib
import hmac
import os
from dataclasses import dataclass, field
from functools import lru_cache

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

MASTER_KEY = "PHI_MASTER_KEY"
RSA_KEY = "PHI_RSA_PRIVATE_KEY"
AUDIT_KEY = "HIPAA_AUDIT_KEY"
KEY_NAMES = (MASTER_KEY, RSA_KEY, AUDIT_KEY)

MASTER_KEY_BYTES = 32
AUDIT_KEY_MIN_BYTES = 32
RSA_MIN_BITS = 2048
RSA_GENERATED_BITS = 3072

# HKDF `info` strings: one derived key per purpose. Changing one re-keys that purpose entirely.
DATA_KEY_INFO = b"clinicbot phi data encryption v1"
INDEX_KEY_INFO = b"clinicbot phi blind index v1"
KEY_ID_LABEL = b"clinicbot key id"


class KeyConfigError(ImproperlyConfigured):
    """A key is missing or malformed. The message names the key and the problem only."""

    def __init__(self, name: str, problem: str):
        self.name = name
        self.problem = problem
        super().__init__(f"{name} {problem}")


def key_id(master_key: bytes) -> str:
    """The short public id of a master key: the key-version prefix of its ciphertexts."""
    return hmac.new(master_key, KEY_ID_LABEL, hashlib.sha256).hexdigest()[:8]


def _derive(master_key: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(master_key)


@dataclass(frozen=True)
class MasterKey:
    key_id: str
    cipher: AESGCM = field(repr=False)
    index_key: bytes = field(repr=False)


@dataclass(frozen=True)
class Keyring:
    keys: tuple[MasterKey, ...]

    @property
    def current(self) -> MasterKey:
        return self.keys[0]

    def get(self, key_id: str) -> MasterKey | None:
        return next((key for key in self.keys if key.key_id == key_id), None)


def _b64decode(value: str) -> bytes:
    """Standard or URL-safe base64, padding optional. Raises ValueError."""
    text = "".join(value.split()).replace("-", "+").replace("_", "/")
    text += "=" * (-len(text) % 4)
    try:
        return base64.b64decode(text, validate=True)
    except binascii.Error:
        raise ValueError("not base64") from None


def parse_master_keys(raw: str) -> Keyring:
    if not raw.strip():
        raise KeyConfigError(MASTER_KEY, "is not set")
    parts = [part.strip() for part in raw.split(",")]
    keys: list[MasterKey] = []
    for number, part in enumerate(parts, start=1):
        which = f"key {number} of {len(parts)}" if len(parts) > 1 else ""
        subject = f"{which} " if which else ""
        if not part:
            raise KeyConfigError(MASTER_KEY, f"{subject}is empty".strip())
        try:
            material = _b64decode(part)
        except ValueError:
            raise KeyConfigError(MASTER_KEY, f"{subject}is not valid base64") from None
        if len(material) != MASTER_KEY_BYTES:
            raise KeyConfigError(
                MASTER_KEY, f"{subject}is {len(material)} bytes; {MASTER_KEY_BYTES} are required"
            )
        identifier = key_id(material)
        if any(key.key_id == identifier for key in keys):
            raise KeyConfigError(MASTER_KEY, f"lists the same key twice ({which})")
        keys.append(
            MasterKey(
                key_id=identifier,
                cipher=AESGCM(_derive(material, DATA_KEY_INFO)),
                index_key=_derive(material, INDEX_KEY_INFO),
            )
        )
    return Keyring(keys=tuple(keys))


def parse_rsa_private_key(raw: str) -> rsa.RSAPrivateKey:
    text = raw.strip()
    if not text:
        raise KeyConfigError(RSA_KEY, "is not set")
    if text.startswith("-----BEGIN"):
        pem = text.encode()
    else:
        try:
            pem = _b64decode(text)
        except ValueError:
            raise KeyConfigError(RSA_KEY, "is not valid base64") from None
    if not pem.lstrip().startswith(b"-----BEGIN"):
        raise KeyConfigError(RSA_KEY, "is not a PEM private key (base64 of the PEM text)")
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except TypeError:
        raise KeyConfigError(
            RSA_KEY, "is password-protected; an unencrypted PEM is required"
        ) from None
    except (ValueError, UnsupportedAlgorithm):
        raise KeyConfigError(RSA_KEY, "is not a readable PEM private key") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise KeyConfigError(RSA_KEY, "is not an RSA key")
    if key.key_size < RSA_MIN_BITS:
        raise KeyConfigError(
            RSA_KEY,
            f"is a {key.key_size}-bit key; at least {RSA_MIN_BITS} bits are required",
        )
    return key


def parse_audit_key(raw: str) -> bytes:
    if not raw.strip():
        raise KeyConfigError(AUDIT_KEY, "is not set")
    try:
        material = _b64decode(raw)
    except ValueError:
        raise KeyConfigError(AUDIT_KEY, "is not valid base64") from None
    if len(material) < AUDIT_KEY_MIN_BYTES:
        raise KeyConfigError(
            AUDIT_KEY,
            f"is {len(material)} bytes; at least {AUDIT_KEY_MIN_BYTES} are required",
        )
    return material


# Parsed keys are cached by their raw setting, so a changed setting (tests, a rotation in a
# long-lived shell) is picked up and the per-value cost stays a dictionary lookup.
_parse_master_cached = lru_cache(maxsize=8)(parse_master_keys)
_parse_rsa_cached = lru_cache(maxsize=4)(parse_rsa_private_key)
_parse_audit_cached = lru_cache(maxsize=4)(parse_audit_key)


def keyring() -> Keyring:
    return _parse_master_cached(settings.PHI_MASTER_KEY)


def rsa_private_key() -> rsa.RSAPrivateKey:
    return _parse_rsa_cached(settings.PHI_RSA_PRIVATE_KEY)


def audit_key() -> bytes:
    return _parse_audit_cached(settings.HIPAA_AUDIT_KEY)


def public_key_fingerprint(private_key: rsa.RSAPrivateKey | None = None) -> str:
    """SHA-256 of the DER public key, hex: names the signing key without revealing anything."""
    public = (private_key or rsa_private_key()).public_key()
    der = public.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(der).hexdigest()


def key_problems() -> dict[str, str]:
    """{key name: problem} for each missing or malformed key; empty when all three are good."""
    problems = {}
    for name, load in ((MASTER_KEY, keyring), (RSA_KEY, rsa_private_key), (AUDIT_KEY, audit_key)):
        try:
            load()
        except KeyConfigError as error:
            problems[name] = error.problem
    return problems


def describe_keys() -> dict[str, str]:
    """A one-line summary per good key, safe to print (ids, sizes, fingerprints only)."""
    ring = keyring()
    previous = ", ".join(key.key_id for key in ring.keys[1:])
    master = f"current key id {ring.current.key_id}"
    if previous:
        master += f"; previous key ids still accepted for decryption: {previous}"
    private_key = rsa_private_key()
    return {
        MASTER_KEY: master,
        RSA_KEY: f"{private_key.key_size}-bit RSA, public key sha256 "
        f"{public_key_fingerprint(private_key)[:16]}",
        AUDIT_KEY: f"{len(audit_key())} bytes",
    }


def generate_keys() -> dict[str, str]:
    """Fresh values for the three keys, each one line (no quoting needed in a .env file)."""
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=RSA_GENERATED_BITS)
    pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return {
        MASTER_KEY: base64.b64encode(os.urandom(MASTER_KEY_BYTES)).decode(),
        RSA_KEY: base64.b64encode(pem).decode(),
        AUDIT_KEY: base64.b64encode(os.urandom(AUDIT_KEY_MIN_BYTES)).decode(),
    }

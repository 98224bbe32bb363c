"""Blind index of phone numbers: find a patient by phone without decrypting anything.

`blind_index(phone)` is HMAC-SHA256, under a key derived from the CURRENT master key for this
purpose alone, of the number's E.164 digits. Store it next to the encrypted phone in a
`CharField(max_length=64, db_index=True)` and look patients up with it.

Like any deterministic index it shows which rows share a number, and phone numbers are few enough
to brute-force if the index key leaks: the key is guarded like the master key itself.

Rotation: an index is tied to the master key it was computed under, so `rotate_phi_key`
recomputes the indexes of every model that declares them (`BLIND_INDEXES = {"<index field>":
"<source field>"}` on the model). Until it has finished, look up with `blind_index_candidates`,
which gives the index under every key in PHI_MASTER_KEY.
"""

import hashlib
import hmac
import re
import unicodedata

from security.keys import keyring

NON_DIGITS = re.compile(r"\D")


def normalize_phone(phone: str) -> str:
    """E.164 digits: `+7 (900) 123-45-67`, `0079001234567` and the WhatsApp JID
    `79001234567@s.whatsapp.net` all give `79001234567`, and so do the digits of other scripts
    (`٧٩٠٠١٢٣٤٥٦٧`, fullwidth `７９００１２３４５６７`)."""
    number = phone.split("@", 1)[0].split(":", 1)[0]  # JID domain and device suffix
    digits = NON_DIGITS.sub("", number)  # keeps every script's decimal digits
    if not digits.isascii():
        digits = "".join(str(unicodedata.decimal(digit)) for digit in digits)
    if digits.startswith("00"):
        digits = digits[2:]
    if not digits:
        raise ValueError("not a phone number: no digits")
    return digits


LID_SUFFIX = "@lid"


def _index(key: bytes, phone: str) -> str:
    digits = normalize_phone(phone)
    if phone.endswith(LID_SUFFIX):
        # A WhatsApp LID (a privacy id, "<digits>@lid") is not a phone number: it is indexed
        # apart, so that no LID's digits can ever match a number's.
        digits = "lid:" + digits
    return hmac.new(key, digits.encode("ascii"), hashlib.sha256).hexdigest()


def blind_index(phone: str) -> str:
    """64 hex characters; the same for every way of writing the same number."""
    return _index(keyring().current.index_key, phone)


def blind_index_candidates(phone: str) -> list[str]:
    """The index under each key of PHI_MASTER_KEY, current first: for lookups during a rotation
    (`filter(phone_index__in=blind_index_candidates(phone))`)."""
    return [_index(key.index_key, phone) for key in keyring().keys]

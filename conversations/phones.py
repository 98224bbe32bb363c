"""Patient phone numbers as staff lists show them.

What staff see reads a number as the blind index a patient is found by reads it
(`security.blind_index.normalize_phone`), whatever way it was written.
"""

from security.blind_index import normalize_phone


def mask_phone(phone: str) -> str:
    """'79001234567' (or any spelling of it) -> '+7 *** *** 45 67': enough to tell patients
    apart, not to call them."""
    try:
        digits = normalize_phone(phone)
    except ValueError:  # no digits at all
        return "***"
    if len(digits) < 6:
        return "***"
    country = digits[: len(digits) - 10] if len(digits) > 10 else digits[:1]
    return f"+{country} *** *** {digits[-4:-2]} {digits[-2:]}"

"""Patient phone numbers: the digits we key on, and the masked form staff lists show."""


def phone_digits(value: str) -> str:
    """'+7 (900) 123-45-67' or '79001234567@s.whatsapp.net' -> '79001234567'."""
    return "".join(ch for ch in value.split("@", 1)[0] if ch.isdigit())


def mask_phone(digits: str) -> str:
    """'79001234567' -> '+7 *** *** 45 67': enough to tell patients apart, not to call them."""
    digits = phone_digits(digits)
    if len(digits) < 6:
        return "***"
    country = digits[: len(digits) - 10] if len(digits) > 10 else digits[:1]
    return f"+{country} *** *** {digits[-4:-2]} {digits[-2:]}"

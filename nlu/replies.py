"""The receptionist's fast-lane answers, in the patient's language.

Prices are formatted with Babel for the patient's locale and the service's own currency; hours
are the clinic's own, labelled with the clinic's time zone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, time, timedelta
from enum import StrEnum
from functools import lru_cache
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import get_day_names, get_timezone_location

from nlu.catalog import BABEL_LOCALES, format_price
from nlu.intents import Reply, row_of
from nlu.lexicon import LEXICONS
from nlu.router import Understanding

if TYPE_CHECKING:
    from nlu.catalog import PriceIndex, ServiceEntry

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# A price list longer than this is cut in a "what do you charge?" answer: a chat, not a brochure.
SHORT_LIST_LENGTH = 8
CLOSEST_LIMIT = 3
# After a service's price, when a patient asked about several: "Пломба: 3 500 ₽ × 3 = 10 500 ₽".
# Digits and signs read the same in all six languages; the amounts are the locale's own.
QUANTITY_TOTAL = " × {count} = {total}"
# A clinic's own words for fixed replies: {(key, language): text} (knowledge.reply_texts).
NO_OVERRIDES: Mapping[tuple[str, str], str] = {}


@dataclass(frozen=True, slots=True)
class ClinicInfo:
    name: str
    address: str
    phone: str
    timezone: str
    default_language: str
    business_hours: dict = field(default_factory=dict)
    # What a patient with an urgent symptom is told, by language (conversations.Clinic's).
    emergency_instructions: dict = field(default_factory=dict)


def _texts(language: str) -> dict[str, str]:
    lexicon = LEXICONS.get(language) or LEXICONS["en"]
    return lexicon.replies


def _fixed(key: str, language: str, overrides: Mapping[tuple[str, str], str]) -> str:
    """The clinic's own words for a fixed reply when it has them, else the language's."""
    return overrides.get((key, language)) or _texts(language)[key]


class Handoff(StrEnum):
    """What a hand-off reply announces. The value is the REPLIES key of its text inside the
    clinic's opening hours ("a colleague will reply shortly"); `<value>_closed` is the key of
    the text outside them, which names when the clinic opens ("{day}", "{time}")."""

    TAKEN = "handoff"  # staff take the conversation over
    REQUESTED = "human"  # the patient asked for a person: staff take it over
    SOFT = "soft_handoff"  # staff are asked; the bot keeps answering the rest


def handoff_reply(
    language: str,
    clinic: ClinicInfo | None = None,
    now: datetime | None = None,
    kind: Handoff = Handoff.TAKEN,
    overrides: Mapping = NO_OVERRIDES,
) -> str:
    """The hand-off line that tells the truth about when a colleague will answer: "shortly"
    while the clinic is open (or when its hours or the time are not known), else the weekday
    and time it next opens, on the clinic's clock."""
    opens = next_opening(clinic.business_hours, clinic.timezone, now) if clinic and now else None
    if opens is None:
        return _fixed(kind, language, overrides)
    day = _day_names(language, "wide")[opens.weekday()]
    closed = _fixed(f"{kind}_closed", language, overrides)
    return closed.format(day=day, time=opens.strftime("%H:%M"))


def next_opening(hours: dict, timezone: str, now: datetime) -> datetime | None:
    """When the clinic next opens (its local time), or None while it is open, when it has no
    hours on file or is closed every day. ("24:00" closes at midnight; closures of whole days
    are the booking calendar's and not read here.)"""
    if not hours:
        return None
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    local = now.astimezone(zone)
    for offset in range(8):
        day = local.date() + timedelta(days=offset)
        span = hours.get(WEEKDAYS[day.weekday()])
        if not span:
            continue
        opens, closes = span.split("-")
        start = datetime.combine(day, time.fromisoformat(opens), tzinfo=zone)
        end = datetime.combine(day, time(0), tzinfo=zone) + timedelta(days=1)
        if closes != "24:00":
            end = datetime.combine(day, time.fromisoformat(closes), tzinfo=zone)
        if local < start:
            return start
        if local < end:
            return None  # open now
    return None


def emergency_instructions(
    clinic: ClinicInfo, language: str, overrides: Mapping = NO_OVERRIDES
) -> str:
    """The clinic's own emergency instructions in the patient's language, else in the clinic's
    default language, else in any it has; without any, the built-in line (call the clinic's
    phone or the local emergency number)."""
    own = clinic.emergency_instructions or {}
    text = own.get(language) or own.get(clinic.default_language) or next(iter(own.values()), "")
    if text:
        return text
    phone = clinic.phone.strip()
    if phone:
        return _fixed("urgent", language, overrides).format(phone=phone)
    return _fixed("urgent_no_phone", language, overrides)


def urgent_reply(
    clinic: ClinicInfo, language: str, now: datetime | None, overrides: Mapping = NO_OVERRIDES
) -> str:
    """To a patient with an urgent symptom: what to do now, then who will answer and when."""
    handoff = handoff_reply(language, clinic, now, Handoff.TAKEN, overrides)
    return f"{emergency_instructions(clinic, language, overrides)}\n\n{handoff}"


def too_many_questions_reply(language: str, overrides: Mapping = NO_OVERRIDES) -> str:
    """To a patient whose questions come faster than the model may be asked."""
    return _fixed("too_many_questions", language, overrides)


def text_required_reply(language: str, overrides: Mapping = NO_OVERRIDES) -> str:
    return _fixed("text_required", language, overrides)


def compose_reply(
    u: Understanding,
    *,
    catalog: PriceIndex | None,
    clinic: ClinicInfo,
    overrides: Mapping = NO_OVERRIDES,
) -> str | None:
    """The reply in u.language, as the intent's row says, or None when the LLM lane should
    answer."""
    row = row_of(u.intent)
    if u.also and row.reply is Reply.PRICE_LIST:
        same = {"catalog": catalog, "clinic": clinic, "overrides": overrides}
        first = compose_reply(replace(u, also=()), **same)
        # Each further question is a fast-lane one (the router says so): its answer follows.
        rest = [compose_reply(replace(u, intent=i, also=()), **same) for i in u.also]
        return None if first is None or None in rest else "\n\n".join([first, *rest])
    if row.reply is Reply.TEMPLATE:
        return _fixed(row.template_key, u.language, overrides)
    if row.reply is Reply.CLINIC_CARD:
        return clinic_info_reply(clinic, u.language)
    if row.reply is Reply.PRICE_LIST and catalog is not None and len(catalog):
        return price_reply(u, catalog, u.language)
    return None


def price_reply(u: Understanding, catalog: PriceIndex, language: str) -> str:
    texts = _texts(language)
    services = [s for s in (catalog.get(code) for code in u.service_codes) if s]
    if services:
        lines = _price_lines(services, language, u.quantity)
        return "\n".join([*lines, "", texts["price_offer"]])
    if u.unknown_service:
        return _unknown_service_reply(u.unknown_term or "", catalog, language)
    everything = list(catalog)
    lines = [texts["price_list_intro"], *_price_lines(everything[:SHORT_LIST_LENGTH], language)]
    if len(everything) > SHORT_LIST_LENGTH:
        lines.append(texts["price_list_more"])
    return "\n".join([*lines, "", texts["price_offer"]])


def _unknown_service_reply(term: str, catalog: PriceIndex, language: str) -> str:
    texts = _texts(language)
    closest = catalog.closest(term, limit=CLOSEST_LIMIT) if term else []
    intro = texts["unknown_closest"] if closest else texts["unknown_none"]
    shown = closest or list(catalog)[:CLOSEST_LIMIT]
    return "\n".join(
        [texts["unknown_service"], intro, *_price_lines(shown, language), "", texts["offer_person"]]
    )


def _price_lines(
    services: list[ServiceEntry], language: str, quantity: int | None = None
) -> list[str]:
    line = _texts(language)["price_line"]
    lines = [
        line.format(
            name=service.name_in(language),
            price=format_price(service.price, service.currency, language),
        )
        for service in services
    ]
    if quantity and len(services) == 1:
        (service,) = services
        total = format_price(service.price * quantity, service.currency, language)
        lines[0] += QUANTITY_TOTAL.format(count=quantity, total=total)
    return lines


def clinic_info_reply(clinic: ClinicInfo, language: str) -> str:
    texts = _texts(language)
    lines = [clinic.name]
    if clinic.address:
        lines.append(texts["address"].format(address=clinic.address))
    if clinic.phone:
        lines.append(texts["phone"].format(phone=clinic.phone))
    if clinic.business_hours:
        lines.append(texts["hours_title"].format(city=_city(clinic.timezone, language)))
        lines.extend(_hours_lines(clinic.business_hours, language))
    return "\n".join(lines)


def _hours_lines(hours: dict, language: str) -> list[str]:
    """Consecutive days with the same hours share a line: "Пн–Пт: 09:00–20:00"."""
    names = _day_names(language)
    closed = _texts(language)["closed"]
    groups: list[tuple[int, int, str | None]] = []
    for index, day in enumerate(WEEKDAYS):
        value = hours.get(day) or None
        if groups and groups[-1][2] == value:
            groups[-1] = (groups[-1][0], index, value)
        else:
            groups.append((index, index, value))
    lines = []
    for first, last, value in groups:
        days = names[first] if first == last else f"{names[first]}–{names[last]}"
        shown = value.replace("-", "–") if value else closed
        lines.append(f"{days}: {shown}")
    return lines


@lru_cache(maxsize=32)
def _day_names(language: str, width: str = "abbreviated") -> tuple[str, ...]:
    locale = BABEL_LOCALES.get(language, "en_US")
    names = get_day_names(width, context="format", locale=locale)
    if width == "wide":  # inside a sentence: "el lunes", "on Monday", as the language writes it
        return tuple(names[i] for i in range(7))
    return tuple(_capitalized(names[i]) for i in range(7))  # Babel: 0 is Monday


def _capitalized(text: str) -> str:
    return text[:1].upper() + text[1:]


@lru_cache(maxsize=64)
def _city(timezone: str, language: str) -> str:
    locale = BABEL_LOCALES.get(language, "en_US")
    try:
        return get_timezone_location(timezone, locale=locale, return_city=True)
    except LookupError:
        return timezone

"""Every fixed reply the bot sends, by key: what it is for, the placeholders its text may use and
its default in each language. The defaults stay where they are written (the lexicons' REPLIES,
the booking dialogue's texts, the follow-ups' texts): each source registers a reader of them
here (the language layer's below; the booking dialogue and the follow-ups from their apps'
ready()), so an edited default is what the admin shows.

A clinic's own text for a key (knowledge.models.ReplyText) is checked against the registry on
save: a placeholder is a name in braces (str.format, as in the defaults), one the reply is not
given is refused by name, and one every default says (the booking's {when}) must stay.
"""

import logging
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from nlu import LANGUAGES
from nlu.intents import TABLE
from nlu.lexicon import LEXICONS

logger = logging.getLogger(__name__)

# Placeholders that only decorate a reply: a clinic's text may leave them out.
DECORATIVE = frozenset({"with_provider", "clinic"})
NO_OVERRIDES: Mapping[tuple[str, str], str] = {}


@dataclass(frozen=True, slots=True)
class FixedText:
    key: str  # the registry's key: "greeting", "booking.booked", "followup.price_nudge"
    name: str  # its key in the source it comes from
    description: str
    default_of: Callable[[str, str], str]  # (name, language) -> the source's text
    # Whether the code fills the placeholders (str.format); the lexicons' replies are sent as
    # written, so a clinic's text for one is filled (its "{{" made "{") before it is served.
    formatted: bool = True

    def default(self, language: str) -> str:
        return self.default_of(self.name, language if language in LANGUAGES else "en")

    def _fields(self) -> list[set[str]]:
        return [_placeholders_in(self.default(language)) for language in LANGUAGES]

    @property
    def placeholders(self) -> tuple[str, ...]:
        """What the reply is given to say: any default's placeholders."""
        return tuple(sorted(set().union(*self._fields())))

    @property
    def required(self) -> tuple[str, ...]:
        """What every default says, so a clinic's text must too (bar the decorations)."""
        every = set.intersection(*self._fields())
        return tuple(sorted(every - DECORATIVE))

    def render(self, text: str, values: Mapping[str, object]) -> str:
        """A checked text as the patient gets it."""
        return text.format(**values)

    def served(self, text: str) -> str:
        """A checked text as the code is given it (knowledge.models.ReplyText.overrides_of)."""
        return text if self.formatted else text.format()


_REGISTRY: dict[str, FixedText] = {}


def fixed_texts_register(
    *,
    prefix: str,
    descriptions: Mapping[str, str],
    default_of: Callable[[str, str], str],
    formatted: bool = True,
) -> None:
    """Make each name in `descriptions` overridable as "<prefix>.<name>" (the bare name when
    `prefix` is empty); `default_of(name, language)` reads its default where it is written."""
    for name, description in descriptions.items():
        key = f"{prefix}.{name}" if prefix else name
        _REGISTRY[key] = FixedText(key, name, description, default_of, formatted)


def fixed_text(key: str) -> FixedText | None:
    return _REGISTRY.get(key)


def fixed_texts() -> list[FixedText]:
    return sorted(_REGISTRY.values(), key=lambda fixed: fixed.key)


def key_choices() -> list[tuple[str, str]]:
    """ReplyText.key's choices (a callable: a new fixed text needs no migration)."""
    return [(fixed.key, fixed.key) for fixed in fixed_texts()]


def language_choices() -> list[tuple[str, str]]:
    return [(language, language) for language in LANGUAGES]


# --- checking a clinic's text ---------------------------------------------------------------------


def _placeholders_in(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}


def _braced(names) -> str:
    return ", ".join(f"{{{name}}}" for name in names) or "none"


def placeholder_problems(key: str, text: str) -> list[str]:
    """What is wrong with the placeholders of `text` as a clinic's text for `key` (none: [])."""
    fixed = _REGISTRY[key]
    try:
        fields = list(string.Formatter().parse(text))
    except ValueError as exc:
        # A lone brace: "{when" or "}". A literal brace is written twice: "{{".
        return [f"malformed placeholder ({exc}); a literal brace is written twice: {{{{ or }}}}"]
    problems, used = [], set()
    for _, field, spec, conversion in fields:
        if field is None:
            continue
        if not field.isidentifier() or spec or conversion:
            # "{}", "{0}", "{when.year}", "{when:%H}": only plain names are filled.
            shown = field + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "")
            problems.append(f"malformed placeholder {{{shown}}}; write a name in braces: {{when}}")
        elif field not in fixed.placeholders:
            allowed = _braced(fixed.placeholders)
            problems.append(f"unknown placeholder {{{field}}}; allowed: {allowed}")
        used.add(field)
    missing = [name for name in fixed.required if name not in used]
    if missing:
        problems.append(f"missing placeholder {_braced(missing)}: this reply must say it")
    return problems


# --- sending a clinic's text ----------------------------------------------------------------------


def reply_text(
    key: str,
    language: str,
    default: str,
    values: Mapping[str, object],
    overrides: Mapping[tuple[str, str], str] | None,
) -> str:
    """The clinic's text for `key` filled with `values`, else the default. A text saved before
    a default dropped one of its placeholders does not fit any more: the default is sent."""
    own = overrides.get((key, language)) if overrides else None
    if own is not None:
        try:
            return own.format(**values)
        except (KeyError, IndexError, ValueError, AttributeError):
            logger.warning(
                "the clinic's text for %s (%s) does not fit; sent the default", key, language
            )
    return default.format(**values)


# --- the language layer's replies -----------------------------------------------------------------

LANGUAGE_LAYER_REPLIES = {
    "greeting": "Answer to a hello.",
    "thanks": "Answer to a thank-you.",
    "confirm": "Answer to a yes when nothing waits for one.",
    "decline": "Answer to a no when nothing waits for one.",
    "opt_out": "The patient asked for no more messages.",
    "opt_in": "The patient asked for messages again.",
    "human": "The patient asked for a person: the conversation goes to staff.",
    "handoff": "Staff take the conversation over, within opening hours.",
    "soft_handoff": "A question left to staff, the bot answering the rest, within opening hours.",
    "urgent_no_phone": "What to do in an emergency, for a clinic with no phone or instructions.",
    "too_many_questions": "The patient writes faster than the bot may ask the model.",
    "text_required": "A voice note or a picture the bot cannot read.",
}
# The language layer fills these itself (str.format) with the values in braces.
LANGUAGE_LAYER_FILLED = {
    "handoff_closed": "Staff take the conversation over, outside opening hours: when it opens.",
    "human_closed": "The patient asked for a person, outside opening hours: when it opens.",
    "soft_handoff_closed": "A question left to staff, outside opening hours: when it opens.",
    "urgent": "What to do in an emergency, for a clinic without its own instructions.",
}


def _language_layer_descriptions() -> dict[str, str]:
    """The replies above, and any other template an intent answers with."""
    templates = {key for row in TABLE.values() for key in row.template_keys}
    described = dict(LANGUAGE_LAYER_REPLIES)
    for key in sorted(templates - described.keys()):
        described[key] = f"Answer to the intent {key}."
    return described


fixed_texts_register(
    prefix="",
    descriptions=_language_layer_descriptions(),
    default_of=lambda name, language: LEXICONS[language].replies[name],
    formatted=False,
)
fixed_texts_register(
    prefix="",
    descriptions=LANGUAGE_LAYER_FILLED,
    default_of=lambda name, language: LEXICONS[language].replies[name],
)

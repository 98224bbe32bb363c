"""A clinic's facts (payment methods, insurers, parking, children's care, doctors) as FAQ items:
built-in question variants per language (nlu.lexicon.facts_words) with an answer built from the
clinic's own data. A topic the clinic says nothing about has no item (the LLM lane answers), and
an FAQ entry of the clinic on the same topic (its key or one of its tags names the topic) beats
the built-in one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from nlu.faq import FACT, FaqIndex, FaqItem
from nlu.lexicon.facts_words import ANSWERS, PAYMENT_METHODS, QUESTIONS

INSURER = "{insurer}"


@dataclass(frozen=True, slots=True)
class ClinicFactsData:
    payment_methods: tuple[str, ...] = ()  # keys of PAYMENT_METHODS
    insurers: tuple[str, ...] = ()
    parking: Mapping[str, str] = field(default_factory=dict)  # language -> the clinic's text
    children: Mapping[str, str] = field(default_factory=dict)
    doctors: tuple[Mapping[str, str], ...] = ()  # each doctor's name by language


def fact_items(facts: ClinicFactsData) -> list[FaqItem]:
    answers_by_topic = {
        "payment": _listed(facts.payment_methods, _payment_names),
        "insurance": _listed(facts.insurers, lambda name, _lang: name),
        "doctors": _listed(facts.doctors, _doctor_name),
        "parking": _own_text(facts.parking),
        "children": _own_text(facts.children),
    }
    items = []
    for topic, texts in answers_by_topic.items():
        answers = {
            lang: ANSWERS[topic][lang].format(**texts[lang]) for lang in texts if texts[lang]
        }
        if answers:
            questions = _questions(topic, facts.insurers)
            items.append(FaqItem(topic, questions, answers, tags=(topic,), source=FACT))
    return items


def faq_index_build(entries: Iterable[FaqItem], facts: ClinicFactsData | None) -> FaqIndex:
    """The clinic's FAQ entries and, for topics none of them covers, its facts."""
    entries = list(entries)
    covered = {e.key for e in entries} | {tag for e in entries for tag in e.tags}
    facts_items = fact_items(facts) if facts else []
    return FaqIndex.build([*entries, *(f for f in facts_items if f.key not in covered)])


def _listed(values, name_of) -> dict[str, dict]:
    if not values:
        return {}
    return {
        lang: {"list": ", ".join(name_of(value, lang) for value in values)}
        for lang in ANSWERS["payment"]
    }


def _own_text(texts: Mapping[str, str]) -> dict[str, dict]:
    return {lang: {"text": text.strip()} for lang, text in texts.items() if text and text.strip()}


def _payment_names(method: str, language: str) -> str:
    names = PAYMENT_METHODS.get(method, {})
    return names.get(language) or names.get("en") or method


def _doctor_name(names: Mapping[str, str], language: str) -> str:
    return names.get(language) or next(iter(names.values()), "")


def _questions(topic: str, insurers: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    """The topic's variants; an insurance variant naming "{insurer}" once per insurer."""
    questions = {}
    for lang, variants in QUESTIONS[topic].items():
        expanded = []
        for variant in variants:
            if INSURER in variant:
                expanded.extend(variant.replace(INSURER, name) for name in insurers)
            else:
                expanded.append(variant)
        questions[lang] = tuple(expanded)
    return questions

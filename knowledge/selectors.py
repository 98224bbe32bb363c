"""A clinic's FAQ and facts as the fast lane holds them in memory (nlu.faq.FaqIndex): loaded
beside the price list by pricing.cache (registered in KnowledgeConfig.ready)."""

from conversations.models import Clinic
from knowledge.models import ClinicFacts, FaqEntry
from nlu.facts import ClinicFactsData, faq_index_build
from nlu.faq import FaqIndex, FaqItem


def faq_index_load(clinic_id: int) -> FaqIndex:
    """Three or four queries, once per refresh of the clinic's cache entry."""
    entries = [_item_of(row) for row in FaqEntry.objects.filter(clinic_id=clinic_id, active=True)]
    return faq_index_build(entries, clinic_facts_load(clinic_id))


def clinic_facts_load(clinic_id: int) -> ClinicFactsData:
    facts = ClinicFacts.objects.filter(clinic_id=clinic_id).first()
    # The clinic's providers through the clinic's own relation: the booking app sits above
    # this one and is not imported here. A clinic without providers books as one chair,
    # which is no doctor to name.
    providers = Clinic(id=clinic_id).providers.filter(active=True, is_clinic_chair=False)
    doctors = tuple(dict(p.names) for p in providers.order_by("code"))
    if facts is None:
        return ClinicFactsData(doctors=doctors)
    return ClinicFactsData(
        payment_methods=tuple(facts.payment_methods),
        insurers=tuple(facts.insurance_accepted),
        parking=dict(facts.parking),
        children=dict(facts.children),
        doctors=doctors,
    )


def _item_of(row: FaqEntry) -> FaqItem:
    return FaqItem(
        key=row.key,
        questions={lang: tuple(v) for lang, v in row.questions.items()},
        answers=dict(row.answers),
        tags=tuple(row.tags),
    )

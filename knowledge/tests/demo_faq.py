"""A demo clinic's FAQ and facts, as the matching tests load them: an FAQ on the topics every
clinic is asked about (so that the labelled messages meet as many near-misses as possible),
facts for the rest."""

from nlu.facts import ClinicFactsData, faq_index_build
from nlu.faq import FaqIndex, FaqItem

WIFI = FaqItem(
    "wifi",
    {
        "en": ("is there wifi", "wifi password"),
        "ru": ("есть ли wifi", "пароль от вайфая", "есть вайфай"),
        "uk": ("чи є wifi", "пароль від вайфаю"),
        "es": ("hay wifi", "contraseña del wifi"),
        "pt": ("tem wifi", "senha do wifi"),
        "he": ("יש וויפי", "סיסמה לוויפי"),
    },
    dict.fromkeys(("en", "ru", "uk", "es", "pt", "he"), "Wi-Fi: ClinicGuest / smile2026"),
)
PARKING = FaqItem(
    "parking",
    {
        "en": ("Is there parking?", "where can I park"),
        "ru": ("Есть ли парковка?", "где припарковаться"),
        "uk": ("Чи є парковка?",),
        "es": ("¿Hay aparcamiento?",),
        "pt": ("Tem estacionamento?",),
        "he": ("יש חניה?",),
    },
    {
        "en": "Free parking behind the building.",
        "ru": "Бесплатная парковка за зданием.",
        "uk": "Безкоштовна парковка за будівлею.",
        "es": "Aparcamiento gratuito detrás del edificio.",
        "pt": "Estacionamento gratuito atrás do prédio.",
        "he": "חניה חינם מאחורי הבניין.",
    },
    tags=("parking",),
)
CHILDREN = {
    "en": "Yes, we treat children from 3 years old.",
    "ru": "Да, лечим детей с 3 лет.",
    "uk": "Так, лікуємо дітей з 3 років.",
    "es": "Sí, atendemos a niños desde los 3 años.",
    "pt": "Sim, atendemos crianças a partir de 3 anos.",
    "he": "כן, אנחנו מטפלים בילדים מגיל 3.",
}
FACTS = ClinicFactsData(
    payment_methods=("cash", "card", "installments"),
    insurers=("Clalit", "Maccabi", "Allianz"),
    parking={"en": "Street parking only."},  # the FAQ entry above beats it
    children=CHILDREN,
    doctors=({"en": "Dr Ivanova", "ru": "Д-р Иванова"}, {"en": "Dr Levi", "he": "ד״ר לוי"}),
)


def demo_faq_index() -> FaqIndex:
    return faq_index_build([WIFI, PARKING], FACTS)

"""The clinic file's `faq`: entries created and updated by key, deactivated when left out, and a
bad entry refused naming its field."""

import pytest
from django.core.management import CommandError

from conftest import load_demo_clinic_data
from conversations.clinic_file import ClinicFileError, parse_clinic_file
from conversations.tests.test_import_clinic import import_file, write_clinic_file
from knowledge.models import FaqEntry

pytestmark = pytest.mark.django_db

PARKING = {
    "key": "parking",
    "questions": {"en": ["Is there parking?", "where can I park"], "ru": ["Есть ли парковка?"]},
    "answer": {"en": "Free parking behind the building.", "ru": "Бесплатная парковка за зданием."},
}
WIFI = {
    "key": "wifi",
    "questions": {"en": ["is there wifi"]},
    "answer": {"en": "Network ClinicGuest, no password."},
    "tags": ["amenities"],
}


def with_faq(faq):
    return load_demo_clinic_data() | {"faq": faq}


def entries() -> dict[str, tuple]:
    return {e.key: (e.answers, e.active) for e in FaqEntry.objects.order_by("key")}


def test_the_files_faq_entries_are_created_then_updated_and_deactivated_by_key(tmp_path):
    import_file(write_clinic_file(tmp_path, with_faq([PARKING, WIFI])))
    assert entries() == {
        "parking": (PARKING["answer"], True),
        "wifi": (WIFI["answer"], True),
    }
    wifi = FaqEntry.objects.get(key="wifi")
    assert wifi.questions == WIFI["questions"] and wifi.tags == ["amenities"]

    moved = PARKING | {"answer": {"en": "Parking on level -1.", "ru": "Парковка на -1 этаже."}}
    import_file(write_clinic_file(tmp_path, with_faq([moved])))
    assert entries() == {"parking": (moved["answer"], True), "wifi": (WIFI["answer"], False)}

    import_file(write_clinic_file(tmp_path, with_faq([moved, WIFI])))
    assert entries()["wifi"] == (WIFI["answer"], True)
    assert FaqEntry.objects.count() == 2  # matched by key, never duplicated


def test_a_file_without_faq_leaves_the_clinics_faq_as_staff_keep_it(tmp_path):
    import_file(write_clinic_file(tmp_path, with_faq([PARKING])))
    data = load_demo_clinic_data()
    data.pop("faq", None)
    import_file(write_clinic_file(tmp_path, data))
    assert entries() == {"parking": (PARKING["answer"], True)}
    import_file(write_clinic_file(tmp_path, with_faq([])))
    assert entries() == {"parking": (PARKING["answer"], False)}


@pytest.mark.parametrize(
    ("entry", "field", "reason"),
    [
        (PARKING | {"answer": {"en": "Free parking."}}, "faq.0.answer", "no answer in ru"),
        (PARKING | {"answer": {}}, "faq.0.answer", "no answer in en, ru"),
        (PARKING | {"questions": {}}, "faq.0.questions", "at least one question"),
        (PARKING | {"questions": {"fr": ["Parking?"]}}, "faq.0.questions", "unknown language fr"),
        (PARKING | {"key": "Big Parking"}, "faq.0.key", ""),
        (PARKING | {"answer": {"en": "", "ru": "x"}}, "faq.0.answer.en", ""),
        (PARKING | {"colour": "blue"}, "faq.0.colour", ""),
    ],
)
def test_a_bad_faq_entry_is_refused_naming_its_field(tmp_path, entry, field, reason):
    with pytest.raises(ClinicFileError) as error:
        parse_clinic_file(with_faq([entry]))
    assert f"{field}: " in str(error.value)
    assert reason in str(error.value)
    second = field.replace("faq.0", "faq.1")  # WIFI comes first in this file
    with pytest.raises(CommandError, match=second.replace(".", r"\.")):
        import_file(write_clinic_file(tmp_path, with_faq([WIFI, entry])))
    assert not FaqEntry.objects.exists()  # the whole file is refused, WIFI included


def test_two_entries_with_one_key_are_refused():
    with pytest.raises(ClinicFileError, match="faq.1.key: duplicate key 'parking'"):
        parse_clinic_file(with_faq([PARKING, PARKING]))

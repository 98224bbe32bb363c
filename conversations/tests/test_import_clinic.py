import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from conftest import DEMO_CLINIC_FILE, FIXTURES, load_demo_clinic_data
from conversations.models import Clinic
from pricing.models import Service

pytestmark = pytest.mark.django_db


def import_file(path) -> str:
    out = StringIO()
    call_command("import_clinic", str(path), stdout=out)
    return out.getvalue()


def write_clinic_file(tmp_path, data, name="clinic.json"):
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def snapshot():
    clinics = list(Clinic.objects.order_by("slug").values())
    services = list(Service.objects.order_by("clinic_id", "code").values())
    for row in clinics + services:
        row.pop("updated_at", None)
    return clinics, services


def test_it_imports_the_shared_demo_clinic_file():
    output = import_file(FIXTURES / "clinics" / "smile-dental.json")
    clinic = Clinic.objects.get(slug="smile-dental")
    assert "Created clinic smile-dental: 7 services added" in output
    assert clinic.whatsapp_instance == "smile-main"
    assert clinic.business_hours["sun"] is None
    filling = clinic.services.get(code="filling")
    assert str(filling.price) == "3500.00"
    assert filling.names["ru"] == "Пломба"
    assert "пломбу" in filling.aliases


def test_importing_the_same_file_twice_changes_nothing():
    import_file(DEMO_CLINIC_FILE)
    before = snapshot()
    output = import_file(DEMO_CLINIC_FILE)
    assert snapshot() == before
    assert "Updated clinic smile-dental: 0 services added, 0 changed, 0 deactivated" in output


def without_service(data: dict, code: str) -> dict:
    """The clinic file without one service, which its providers no longer perform either."""
    providers = [
        p | {"services": [c for c in p["services"] if c != code]} for p in data["providers"]
    ]
    services = [s for s in data["services"] if s["code"] != code]
    return data | {"services": services, "providers": providers}


def test_a_service_left_out_of_the_file_is_deactivated_not_deleted(tmp_path):
    import_file(DEMO_CLINIC_FILE)
    data = load_demo_clinic_data()
    data = without_service(data, "implant")
    data["services"][0]["price"] = "1700.00"
    output = import_file(write_clinic_file(tmp_path, data))
    implant = Service.objects.get(code="implant")
    assert implant.active is False
    assert str(Service.objects.get(code=data["services"][0]["code"]).price) == "1700.00"
    assert "1 changed, 1 deactivated" in output


def test_a_deactivated_service_comes_back_when_the_file_lists_it_again(tmp_path):
    data = load_demo_clinic_data()
    trimmed = without_service(data, data["services"][0]["code"])
    import_file(write_clinic_file(tmp_path, trimmed))
    import_file(DEMO_CLINIC_FILE)
    assert Service.objects.filter(active=False).count() == 0


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda d: d["services"][1].update(price="-5"), "services.1.price"),
        (lambda d: d["services"][0].update(currency="RUBLE"), "services.0.currency"),
        (lambda d: d.update(timezone="Mars/Olympus"), "timezone"),
        (lambda d: d.update(default_language="fr"), "default_language"),
        (lambda d: d["business_hours"].update(mon="20:00-09:00"), "business_hours"),
        (lambda d: d.pop("whatsapp_instance"), "whatsapp_instance"),
        (lambda d: d["services"][2].update(code="Bad Code"), "services.2.code"),
        (lambda d: d["services"].append(dict(d["services"][0])), "duplicate code"),
        (lambda d: d.update(colour="blue"), "colour"),
        (lambda d: d["providers"][0]["services"].append("massage"), "providers.0.services"),
        (lambda d: d["providers"][1]["hours"].update(fri="19:00-10:00"), "providers.1.hours"),
        (lambda d: d["closures"][0].update(provider="dr-who"), "closures.0.provider"),
        (lambda d: d["closures"][0].update(to="2026-12-01"), "closures.0"),
        (lambda d: d["booking"].update(slot_step_minutes=0), "booking.slot_step_minutes"),
        (lambda d: d.update(emergency_instructions={"fr": "Appelez"}), "emergency_instructions"),
        (lambda d: d.update(emergency_instructions={"en": ""}), "emergency_instructions.en"),
    ],
)
def test_a_bad_file_changes_nothing_and_names_the_field(tmp_path, mutate, field):
    import_file(DEMO_CLINIC_FILE)
    before = snapshot()
    data = load_demo_clinic_data()
    mutate(data)
    with pytest.raises(CommandError) as error:
        import_file(write_clinic_file(tmp_path, data))
    assert field in str(error.value)
    assert snapshot() == before


def test_it_imports_the_clinics_emergency_instructions(tmp_path):
    instructions = {"en": "Severe swelling or bleeding: call +7 495 000-00-01 now.", "ru": "..."}
    import_file(
        write_clinic_file(
            tmp_path, load_demo_clinic_data() | {"emergency_instructions": instructions}
        )
    )
    assert Clinic.objects.get().emergency_instructions == instructions


def test_a_file_that_is_not_json_names_the_line(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"slug": "x",\n  oops}', encoding="utf-8")
    with pytest.raises(CommandError, match="not valid JSON \\(line 2\\)"):
        import_file(path)
    assert not Clinic.objects.exists()


def test_an_instance_that_belongs_to_another_clinic_is_refused(tmp_path):
    import_file(DEMO_CLINIC_FILE)
    other = load_demo_clinic_data() | {"slug": "another-clinic"}
    with pytest.raises(CommandError, match="whatsapp_instance"):
        import_file(write_clinic_file(tmp_path, other))
    assert Clinic.objects.count() == 1

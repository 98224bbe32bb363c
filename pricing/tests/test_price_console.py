"""The price list in the admin: validation, the price history, CSV and clinic-file imports, and
the bot answering the new price once a change is saved."""

import json
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from conftest import chat_json, digits, load_demo_clinic_data
from pricing.cache import read_version
from pricing.models import PriceChange, Service
from security.models import AuditEvent

SERVICES = "/admin/pricing/service/"


@pytest.fixture
def staff_client(client, clinic_staff):
    client.force_login(clinic_staff)
    return client


def filling(clinic) -> Service:
    return Service.objects.get(clinic=clinic, code="filling")


def change_form(service, **changes) -> dict:
    fields = {
        "clinic": service.clinic_id,
        "code": service.code,
        "names": json.dumps(service.names, ensure_ascii=False),
        "aliases": json.dumps(service.aliases, ensure_ascii=False),
        "price": str(service.price),
        "currency": service.currency,
        "duration_minutes": service.duration_minutes or "",
        "active": "on",
    }
    return fields | changes


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"price": "0"}, "price", "greater than 0"),
        ({"price": "-5"}, "price", "greater than 0"),
        ({"currency": "XYZ"}, "currency", "ISO 4217"),
        ({"code": "crown"}, "__all__", "already exists"),
    ],
)
def test_an_invalid_edit_is_refused_and_changes_nothing(
    staff_client, clinic, changes, field, message
):
    service = filling(clinic)
    response = staff_client.post(f"{SERVICES}{service.pk}/change/", change_form(service, **changes))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert message in str(errors.get(field)), errors
    assert filling(clinic).price == service.price


def test_a_price_edit_is_kept_in_the_history_with_who_and_the_old_and_new_price(
    staff_client, clinic, clinic_staff, django_capture_on_commit_callbacks
):
    service = filling(clinic)
    version = read_version(clinic.pk)
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            f"{SERVICES}{service.pk}/change/", change_form(service, price="4200.00")
        )
    assert response.status_code == 302
    change = PriceChange.objects.filter(service=service, source="admin").get()
    assert (change.changed_by, change.old_price, change.new_price) == (
        clinic_staff,
        service.price,
        Decimal("4200.00"),
    )
    assert read_version(clinic.pk) != version  # every worker hears of it
    page = staff_client.get(f"{SERVICES}{service.pk}/change/").content.decode()
    assert "price-history" in page and "4200.00" in page and "alice" in page


def test_the_lists_editable_price_is_validated_and_kept_in_the_history(staff_client, clinic):
    services = list(Service.objects.filter(clinic=clinic).order_by("code"))
    form = {
        "form-TOTAL_FORMS": len(services),
        "form-INITIAL_FORMS": len(services),
        "_save": "Save",
    }
    for i, service in enumerate(services):
        form |= {f"form-{i}-id": service.pk, f"form-{i}-price": str(service.price)}
        form |= {f"form-{i}-active": "on"}
    target = next(i for i, s in enumerate(services) if s.code == "filling")
    bad = staff_client.post(SERVICES, form | {f"form-{target}-price": "-1"})
    assert bad.status_code == 200 and filling(clinic).price == services[target].price
    assert staff_client.post(SERVICES, form | {f"form-{target}-price": "3900"}).status_code == 302
    assert filling(clinic).price == Decimal("3900")
    assert PriceChange.objects.filter(source="admin").count() == 1


def upload(name: str, text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


def test_a_csv_import_creates_and_updates_services_with_history(staff_client, clinic):
    csv_text = (
        "code,price,currency,name_en,name_ru,duration_minutes\n"
        "filling,4100.00,RUB,,,\n"
        "whitening-kids,2500,rub,Kids whitening,Детское отбеливание,30\n"
    )
    response = staff_client.post(
        f"{SERVICES}import-csv/", {"clinic": clinic.pk, "file": upload("p.csv", csv_text)}
    )
    assert response.status_code == 302
    assert filling(clinic).price == Decimal("4100.00")
    kids = Service.objects.get(clinic=clinic, code="whitening-kids")
    assert (kids.price, kids.currency, kids.names["en"]) == (Decimal(2500), "RUB", "Kids whitening")
    changes = PriceChange.objects.filter(source="csv").order_by("service__code")
    assert [(c.service.code, c.new_price) for c in changes] == [
        ("filling", Decimal("4100.00")),
        ("whitening-kids", Decimal(2500)),
    ]
    assert AuditEvent.objects.filter(action="import_prices").count() == 1


def test_a_bad_csv_changes_nothing_and_names_each_row_at_fault(staff_client, clinic):
    before = {s.code: s.price for s in Service.objects.filter(clinic=clinic)}
    csv_text = (
        "code,price,currency,name_en\n"
        "filling,100,RUB,\n"
        "crown,-3,RUB,\n"
        "new-thing,10,XYZ,Thing\n"
        "nameless,10,RUB,\n"
        "filling,200,RUB,\n"
    )
    response = staff_client.post(
        f"{SERVICES}import-csv/", {"clinic": clinic.pk, "file": upload("p.csv", csv_text)}
    )
    assert response.status_code == 200
    errors = response.context["form"].errors["file"]
    assert any(e.startswith("row 3, price") for e in errors), errors
    assert any(e.startswith("row 4, currency") for e in errors), errors
    assert any(e.startswith("row 5, name") for e in errors), errors
    assert any(e.startswith("row 6, code") for e in errors), errors
    assert {s.code: s.price for s in Service.objects.filter(clinic=clinic)} == before
    assert not PriceChange.objects.filter(source="csv").exists()


def test_staff_cannot_import_prices_into_another_clinic(staff_client, clinic, other_clinic):
    response = staff_client.post(
        f"{SERVICES}import-csv/",
        {
            "clinic": other_clinic.pk,
            "file": upload("p.csv", "code,price,currency\nfilling,1,RUB\n"),
        },
    )
    assert response.status_code == 200 and "clinic" in response.context["form"].errors
    data = load_demo_clinic_data() | {"slug": other_clinic.slug}
    response = staff_client.post(
        f"{SERVICES}import-clinic-file/",
        {"file": upload("c.json", json.dumps(data))},
    )
    assert response.status_code == 200
    assert "not one of your clinics" in str(response.context["form"].errors)


def test_the_clinic_file_import_updates_prices_with_history(staff_client, clinic, clinic_staff):
    data = load_demo_clinic_data()
    for service in data["services"]:
        if service["code"] == "filling":
            service["price"] = "3777.00"
    response = staff_client.post(
        f"{SERVICES}import-clinic-file/", {"file": upload("c.json", json.dumps(data))}
    )
    assert response.status_code == 302
    change = PriceChange.objects.get(source="clinic_file", changed_by=clinic_staff)
    assert (change.service.code, change.new_price) == ("filling", Decimal("3777.00"))


@pytest.mark.django_db(transaction=True)
def test_the_bot_answers_the_new_price_right_after_an_edit(client, clinic_staff, monkeypatch):
    clinic = clinic_staff.clinics.get()
    client.force_login(clinic_staff)
    assert "3500" in digits(chat_json("how much is a filling?", monkeypatch)["reply"])  # now cached
    service = filling(clinic)
    client.post(f"{SERVICES}{service.pk}/change/", change_form(service, price="4321.00"))
    answer = chat_json("how much is a filling?", monkeypatch)
    assert answer["service"] == "filling" and "4321" in digits(answer["reply"])

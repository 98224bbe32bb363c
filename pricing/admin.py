"""The price list in the admin: services per clinic, validated; every price change is audited and
kept in the price history; bulk imports from a CSV file or the clinic file.

A saved change reaches the bot at once: Service's post_save bumps the clinic's price-list
version in Redis after commit (pricing.signals, pricing.cache), and imports bump it themselves.
"""

import json
from decimal import Decimal

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.formats import localize
from django.utils.html import format_html, format_html_join
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _

from conversations.clinic_file import ClinicFileError, parse_clinic_file
from conversations.models import Clinic
from conversations.services.clinics import clinic_import
from conversations.staff_scope import ClinicScopedAdmin, scoped
from pricing.models import PriceChange, Service
from pricing.services import PriceImportError, price_changes_record, services_import_csv
from pricing.spec import KNOWN_CURRENCIES
from security.admin_base import ReadOnlyAdmin
from security.audit import audit_record
from security.signals import source_ip

MAX_UPLOAD_BYTES = 1024 * 1024
HISTORY_SHOWN = 50


class ServiceForm(forms.ModelForm):
    """Also the list's editable columns (ServiceAdmin.get_changelist_form)."""

    class Meta:
        model = Service
        fields = [
            "clinic",
            "code",
            "names",
            "aliases",
            "price",
            "currency",
            "duration_minutes",
            "active",
        ]

    def clean_price(self):
        price = self.cleaned_data["price"]
        if price is not None and price <= 0:
            raise forms.ValidationError(_("The price must be greater than 0."))
        return price

    def clean_currency(self):
        currency = self.cleaned_data["currency"].strip().upper()
        if currency not in KNOWN_CURRENCIES:
            raise forms.ValidationError(
                _("'%(currency)s' is not an ISO 4217 currency code.") % {"currency": currency}
            )
        return currency


class ImportForm(forms.Form):
    file = forms.FileField(label=_("File"))

    def __init__(self, *args, clinics=None, **kwargs):
        super().__init__(*args, **kwargs)
        if clinics is not None:
            self.fields["clinic"] = forms.ModelChoiceField(clinics, label=_("Clinic"))
            self.order_fields(["clinic", "file"])

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is over 1 MiB."))
        try:
            return upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise forms.ValidationError(_("The file is not UTF-8 text.")) from None


@admin.register(Service)
class ServiceAdmin(ClinicScopedAdmin):
    form = ServiceForm
    change_list_template = "admin/pricing/service/change_list.html"
    list_display = [
        "code",
        "clinic",
        "english_name",
        "price",
        "currency",
        "duration_minutes",
        "active",
    ]
    list_filter = ["active", "currency", ("clinic", admin.RelatedOnlyFieldListFilter)]
    list_editable = ["price", "active"]
    list_select_related = ["clinic"]
    search_fields = ["code", "names", "aliases"]
    raw_id_fields = ["clinic"]
    readonly_fields = ["price_history"]

    @admin.display(description=_("name"))
    def english_name(self, service):
        return service.display_name("en")

    @admin.display(description=_("price history"))
    def price_history(self, service):
        """The latest changes, newest first (a read-only table, not an inline: history is
        written by pricing.services only)."""
        if service.pk is None:
            return "—"
        changes = service.price_changes.select_related("changed_by")[:HISTORY_SHOWN]
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{} {}</td><td>{}</td></tr>",
            (
                (
                    localize(localtime(c.changed_at)),
                    c.changed_by or "—",
                    "—" if c.old_price is None else c.old_price,
                    c.new_price,
                    c.currency,
                    c.get_source_display(),
                )
                for c in changes
            ),
        )
        return format_html(
            '<table id="price-history"><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th>'
            "<th>{}</th></tr>{}</table>",
            _("when"),
            _("who"),
            _("old"),
            _("new"),
            _("through"),
            rows,
        )

    def get_changelist_form(self, request, **kwargs):
        return super().get_changelist_form(request, form=ServiceForm, **kwargs)

    def save_model(self, request, obj, form, change):
        # The change page and the list's editable column both save through here.
        old_price = form.initial.get("price") if change else None
        super().save_model(request, obj, form, change)
        if change and "price" not in form.changed_data:
            return
        price_changes_record(
            changes=[(obj, old_price)], actor=request.user, source=PriceChange.Source.ADMIN
        )
        if change:
            self._audit_price(request, obj, old_price)

    def _audit_price(self, request, obj, old_price):
        audit_record(
            actor=request.user.get_username(),
            action="change_price",
            object_type="service",
            object_id=str(obj.pk),
            source_ip=source_ip(request),
            clinic_id=obj.clinic_id,
            details={
                "code": obj.code,
                "old_price": None if old_price is None else str(Decimal(old_price)),
                "new_price": str(obj.price),
            },
        )

    # --- bulk imports -------------------------------------------------------------------------

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("import-csv/", view(self.import_csv_view), name="pricing_service_import_csv"),
            path(
                "import-clinic-file/",
                view(self.import_clinic_file_view),
                name="pricing_service_import_clinic_file",
            ),
            *super().get_urls(),
        ]

    def _check_import_permission(self, request):
        if not (self.has_change_permission(request) and self.has_add_permission(request)):
            raise PermissionDenied

    def import_csv_view(self, request):
        self._check_import_permission(request)
        clinics = scoped(Clinic.objects.all(), request.user)
        form = ImportForm(request.POST or None, request.FILES or None, clinics=clinics)
        if request.method == "POST" and form.is_valid():
            clinic = form.cleaned_data["clinic"]
            try:
                result = services_import_csv(
                    clinic=clinic, text=form.cleaned_data["file"], actor=request.user
                )
            except PriceImportError as exc:
                form.add_error("file", list(exc.errors))
            else:
                self._audit_import(request, clinic, "csv")
                self.message_user(
                    request,
                    _(
                        "%(clinic)s: %(created)d created, %(updated)d updated, "
                        "%(unchanged)d unchanged."
                    )
                    % {
                        "clinic": clinic,
                        "created": result.created,
                        "updated": result.updated,
                        "unchanged": result.unchanged,
                    },
                )
                return redirect(reverse("admin:pricing_service_changelist"))
        return self._import_page(request, form, _("Import prices from a CSV file"), CSV_HELP)

    def import_clinic_file_view(self, request):
        self._check_import_permission(request)
        form = ImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            try:
                spec = parse_clinic_file(json.loads(form.cleaned_data["file"]))
                self._check_importable(request, spec.slug)
                result = clinic_import(spec=spec, actor=request.user)
            except (ClinicFileError, ValueError) as exc:
                form.add_error("file", str(exc))
            else:
                self._audit_import(request, result.clinic, "clinic_file")
                self.message_user(
                    request,
                    _(
                        "%(clinic)s: %(created)d created, %(updated)d updated, "
                        "%(deactivated)d deactivated."
                    )
                    % {
                        "clinic": result.clinic,
                        "created": result.services_created,
                        "updated": result.services_updated,
                        "deactivated": result.services_deactivated,
                    },
                )
                return redirect(reverse("admin:pricing_service_changelist"))
        return self._import_page(request, form, _("Import the clinic file"), CLINIC_FILE_HELP)

    def _check_importable(self, request, slug: str) -> None:
        """A staff user imports only into a clinic they work for; a superuser may create one."""
        if request.user.is_superuser:
            return
        if not scoped(Clinic.objects.all(), request.user).filter(slug=slug).exists():
            raise ValueError(f"slug: {slug!r} is not one of your clinics")

    def _audit_import(self, request, clinic, kind: str) -> None:
        audit_record(
            actor=request.user.get_username(),
            action="import_prices",
            object_type="clinic",
            object_id=str(clinic.pk),
            source_ip=source_ip(request),
            details={"source": kind},
            clinic_id=clinic.pk,
        )

    def _import_page(self, request, form, title, help_text):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": title,
            "form": form,
            "help_text": help_text,
        }
        return TemplateResponse(request, "admin/pricing/service/import.html", context)


CSV_HELP = _(
    "UTF-8 CSV with a header row. Required columns: code, price, currency (ISO 4217). "
    "Optional: name_ru, name_en, name_es, name_pt, name_uk, name_he, duration_minutes, aliases "
    "(separated by |). Services are matched by code; a new code needs at least one name. "
    "Nothing changes unless every row is valid."
)
CLINIC_FILE_HELP = _(
    "The clinic's JSON file (README, The clinic file). Services are matched by code; a service "
    "missing from the file is deactivated. Nothing changes unless the whole file is valid."
)


@admin.register(PriceChange)
class PriceChangeAdmin(ReadOnlyAdmin, ClinicScopedAdmin):
    """The price history, read only."""

    list_display = ["changed_at", "clinic", "service", "old_price", "new_price", "currency"]
    list_display += ["changed_by", "source"]
    list_filter = ["source", ("clinic", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["clinic", "service", "changed_by"]
    search_fields = ["service__code"]
    date_hierarchy = "changed_at"

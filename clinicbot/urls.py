from django.contrib import admin
from django.urls import include, path

from clinicbot.api import api

urlpatterns = [
    path("admin/", admin.site.urls),
    # set_language: the console's language chooser posts here (a cookie, then back to the page).
    path("i18n/", include("django.conf.urls.i18n")),
    path("", api.urls),
]

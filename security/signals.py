"""Staff sign-ins and sign-outs in the audit log (Django's auth signals; the admin uses them), and
lockouts after too many failed sign-ins (django-axes' `user_locked_out`).

Connected in `SecurityConfig.ready()`. The actor is the staff username (for a failed sign-in,
the username that was tried); the source is the client's address (`source_ip`).
"""

import ipaddress

from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from security.audit import audit_record


def source_ip(request) -> str:
    """The client's address: from the header the proxy in front sets (settings.CLIENT_IP_HEADER,
    Fly-Client-IP on Fly), else the connecting address. Never X-Forwarded-For, which the client
    writes. django-axes locks sign-ins out by this address too."""
    if request is None:
        return ""
    if settings.CLIENT_IP_HEADER:
        key = "HTTP_" + settings.CLIENT_IP_HEADER.upper().replace("-", "_")
        address = request.META.get(key, "").strip()
        if _is_address(address):
            return address
    return request.META.get("REMOTE_ADDR", "")


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


@receiver(user_logged_in, dispatch_uid="security.audit_login")
def audit_login(sender, request, user, **kwargs):
    audit_record(
        actor=user.get_username(),
        action="login",
        object_type="auth.User",
        object_id=str(user.pk),
        source_ip=source_ip(request),
    )


@receiver(user_logged_out, dispatch_uid="security.audit_logout")
def audit_logout(sender, request, user, **kwargs):
    if user is None:  # the session had already expired
        return
    audit_record(
        actor=user.get_username(),
        action="logout",
        object_type="auth.User",
        object_id=str(user.pk),
        source_ip=source_ip(request),
    )


@receiver(user_login_failed, dispatch_uid="security.audit_login_failed")
def audit_login_failed(sender, credentials, request=None, **kwargs):
    # `credentials` is already cleansed by Django (the password is masked); only the name is kept.
    username = str(credentials.get("username") or "")[:150] or "(blank)"
    audit_record(
        actor=username,
        action="login_failed",
        object_type="auth.User",
        outcome="failure",
        source_ip=source_ip(request),
    )


@receiver(user_locked_out, dispatch_uid="security.audit_lockout")
def audit_lockout(sender, request=None, username=None, ip_address=None, **kwargs):
    audit_record(
        actor=str(username or "")[:150] or "(blank)",
        action="lockout",
        object_type="auth.User",
        outcome="denied",
        source_ip=source_ip(request),
    )

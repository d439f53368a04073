"""Every change to a tenant, its team and its NRS set-up goes through these functions."""

import hashlib
import ipaddress
import re
import secrets
import string
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django_scopes import scope

from portal.queries import row_where
from tenants.audit import audit, diff
from tenants.keyfile import parse_key_file
from tenants.models import ApiKey, CryptoKey, Invitation, Location, Membership, Tenant

User = get_user_model()
_ALPHABET = string.ascii_letters + string.digits


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


# --- Tenants and people ----------------------------------------------------------------------


@transaction.atomic
def tenant_create(*, name: str, admin_email: str, admin_password: str | None, admin_name: str = "") -> Tenant:
    """A new business with its first admin (a new user, or an existing one joining)."""
    email = admin_email.strip().lower()
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        first, _, last = admin_name.strip().partition(" ")
        user = User.objects.create_user(email, admin_password, first_name=first, last_name=last)
    tenant = Tenant.objects.create(name=name.strip())
    Membership.objects.with_scope(tenant=tenant).create(tenant=tenant, user=user, role=Membership.Role.ADMIN)
    return tenant


def membership_for(user, tenant_id=None) -> Membership | None:
    """The user's membership in the given tenant, or their first one."""
    return memberships_and_current(user, tenant_id)[0]


def memberships_and_current(user, tenant_id=None) -> tuple[Membership | None, list[Membership]]:
    """In one query: the membership the session works in (the given tenant's, else the first one joined) and all
    of the user's memberships, by business name (the business switcher's list)."""
    if not user.is_authenticated:
        return None, []
    found = list(Membership.objects.with_scopes_disabled().filter(user=user).select_related("tenant"))
    if not found:
        return None, []
    chosen = next((m for m in found if tenant_id and str(m.tenant_id) == str(tenant_id)), None)
    current = chosen or min(found, key=lambda m: (m.created_at, m.pk))
    return current, sorted(found, key=lambda m: (m.tenant.name.lower(), str(m.tenant_id)))


def membership_for_exactly(user, tenant_id) -> Membership | None:
    """The user's membership in that business, or None (never another one)."""
    if not user.is_authenticated:
        return None
    qs = Membership.objects.with_scopes_disabled().filter(user=user, tenant_id=tenant_id).select_related("tenant")
    return qs.first()


def memberships_of(user) -> list[Membership]:
    """Every business the user belongs to, by name."""
    return memberships_and_current(user)[1]


def business_switch(*, user, leaving: Membership | None, entering: Membership) -> None:
    """The user now works in `entering`'s business: both businesses' audit logs say so."""
    if leaving is not None and leaving.tenant_id != entering.tenant_id:
        with scope(tenant=leaving.tenant):
            audit(leaving.tenant, "team.switched_away", f"{user.email} switched to another business", user=user)
    with scope(tenant=entering.tenant):
        audit(entering.tenant, "team.switched_in", f"{user.email} is now working in {entering.tenant.name}", user=user)


def invitation_create(*, tenant: Tenant, email: str, role: str, invited_by, base_url: str) -> Invitation:
    email = email.strip().lower()
    with scope(tenant=tenant):
        if Membership.objects.filter(user__email__iexact=email).exists():
            raise ValidationError({"email": f"{email} is already a member of {tenant.name}."})
        Invitation.objects.filter(email__iexact=email, accepted_at__isnull=True).update(revoked_at=timezone.now())
        token = secrets.token_urlsafe(32)
        invitation = Invitation.objects.create(
            tenant=tenant,
            email=email,
            role=role,
            token_hash=_sha256(token),
            invited_by=invited_by,
            expires_at=timezone.now() + timedelta(days=settings.INVITATION_DAYS),
        )
        audit(tenant, "team.invited", f"{email} as {role}", user=invited_by)
    link = f"{base_url.rstrip('/')}/invite/{token}/"
    context = {"tenant": tenant, "invitation": invitation, "link": link, "invited_by": invited_by}
    send_mail(
        subject=f"You're invited to {tenant.name} on Flowpoint",
        message=render_to_string("tenants/email/invitation.txt", context),
        from_email=None,
        recipient_list=[email],
    )
    return invitation


def invitation_by_token(token: str) -> Invitation | None:
    invitation = (
        Invitation.objects.with_scopes_disabled().select_related("tenant").filter(token_hash=_sha256(token)).first()
    )
    return invitation if invitation and invitation.is_open else None


@transaction.atomic
def account_signup(*, business_name: str, email: str, password: str, full_name: str) -> tuple[User, Tenant]:
    """Sign-up: a new person and their new business, of which they are the admin, or neither."""
    tenant = tenant_create(name=business_name, admin_email=email, admin_password=password, admin_name=full_name)
    return User.objects.get(email__iexact=email.strip()), tenant


@transaction.atomic
def invitation_signup(*, invitation: Invitation, full_name: str, password: str):
    """A person new to Flowpoint accepts an invitation: their account and their membership, or neither."""
    first, _sep, last = full_name.partition(" ")
    user = User.objects.create_user(invitation.email, password, first_name=first, last_name=last)
    invitation_accept(invitation=invitation, user=user)
    return user


@transaction.atomic
def invitation_accept(*, invitation: Invitation, user) -> Membership:
    if user.email.lower() != invitation.email.lower():
        raise ValidationError(f"This invitation is for {invitation.email}; sign in with that address.")
    with scope(tenant=invitation.tenant):
        membership, _ = Membership.objects.get_or_create(
            tenant=invitation.tenant, user=user, defaults={"role": invitation.role}
        )
        Invitation.objects.filter(pk=invitation.pk).update(accepted_at=timezone.now())
        audit(invitation.tenant, "team.joined", f"{user.email} as {membership.role}", user=user)
    return membership


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, user=None) -> Invitation:
    """An admin withdraws an invitation: its link stops working at once, and the audit log says who withdrew it."""
    with scope(tenant=invitation.tenant):
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
        audit(invitation.tenant, "team.invitation_withdrawn", invitation.email, user=user)
    return invitation


def membership_set_role(*, membership: Membership, role: str, user=None) -> Membership:
    with scope(tenant=membership.tenant):
        if membership.role == Membership.Role.ADMIN and role != Membership.Role.ADMIN:
            _ensure_another_admin(membership)
        old = membership.role
        membership.role = role
        membership.save(update_fields=["role"])
        if old != role:
            message = f"{membership.user.email}: {old} → {role}"
            audit(membership.tenant, "team.role_changed", message, user=user, changes={"role": [old, role]})
    return membership


def membership_remove(*, membership: Membership, user=None) -> None:
    with scope(tenant=membership.tenant):
        if membership.role == Membership.Role.ADMIN:
            _ensure_another_admin(membership)
        audit(membership.tenant, "team.removed", membership.user.email, user=user)
        membership.delete()


def _ensure_another_admin(membership: Membership) -> None:
    admins = Membership.objects.filter(role=Membership.Role.ADMIN).exclude(pk=membership.pk)
    if not admins.exists():
        raise ValidationError("A business needs at least one admin. Make someone else an admin first.")


# --- Profile and NRS set-up ------------------------------------------------------------------

PROFILE_FIELDS = (
    "name",
    "tin",
    "email",
    "telephone",
    "description",
    "nrs_business_id",
    "nrs_service_id",
    "environment",
)


def tenant_update(*, tenant: Tenant, user=None, **changes) -> Tenant:
    unknown = set(changes) - set(PROFILE_FIELDS)
    if unknown:
        raise ValueError(f"not profile fields: {sorted(unknown)}")
    before = {field: getattr(tenant, field) for field in changes}
    for field, value in changes.items():
        setattr(tenant, field, value)
    tenant.full_clean(exclude=["nrs_api_key", "nrs_api_secret"])
    tenant.save(update_fields=list(changes))
    changed = diff(before, {field: getattr(tenant, field) for field in changes})
    if changed:
        audit(tenant, "settings.profile_updated", ", ".join(sorted(changed)), user=user, changes=changed)
    return tenant


def nrs_credentials_set(*, tenant: Tenant, api_key: str, api_secret: str, user=None) -> Tenant:
    errors = {}
    if not api_key.strip():
        errors["api_key"] = "Enter the API key NRS issued for your business."
    if not api_secret.strip():
        errors["api_secret"] = "Enter the API secret NRS issued with that key."
    if errors:
        raise ValidationError(errors)
    tenant.nrs_api_key = api_key.strip()
    tenant.nrs_api_secret = api_secret.strip()
    tenant.nrs_credentials_updated_at = timezone.now()
    tenant.save(update_fields=["nrs_api_key", "nrs_api_secret", "nrs_credentials_updated_at"])
    secret_changes = {"nrs_api_key": "changed", "nrs_api_secret": "changed"}
    audit(tenant, "settings.nrs_credentials_set", "NRS API key and secret replaced.", user=user, changes=secret_changes)
    return tenant


def nrs_credentials_valid_until_set(*, tenant: Tenant, valid_until, user=None) -> Tenant:
    """The last day NRS says the credentials work (None: not known); the expiry warnings follow it."""
    old = tenant.nrs_credentials_valid_until
    if old != valid_until:
        tenant.nrs_credentials_valid_until = valid_until
        tenant.save(update_fields=["nrs_credentials_valid_until"])
        changes = diff({"nrs_credentials_valid_until": old}, {"nrs_credentials_valid_until": valid_until})
        audit(tenant, "settings.nrs_credentials_valid_until", _until_words(valid_until), user=user, changes=changes)
    return tenant


def _until_words(valid_until) -> str:
    return f"Valid until {valid_until:%d %b %Y}." if valid_until else "Valid-until date cleared."


def onboarding_complete(*, tenant: Tenant) -> None:
    if not tenant.onboarded_at:
        tenant.onboarded_at = timezone.now()
        tenant.save(update_fields=["onboarded_at"])


# --- Locations -------------------------------------------------------------------------------


@transaction.atomic
def location_save(*, location: Location, make_primary: bool = False, user=None) -> Location:
    """Save a location; the first one, or one asked to be, becomes the single primary location."""
    with scope(tenant=location.tenant):
        # The one-primary constraint is kept by the swap below, not by validation.
        location.full_clean(exclude=["tenant"], validate_constraints=False)
        others = Location.objects.exclude(pk=location.pk)
        if make_primary or not others.filter(is_primary=True).exists():
            others.filter(is_primary=True).update(is_primary=False)
            location.is_primary = True
        kind = "settings.location_added" if location.pk is None else "settings.location_changed"
        location.save()
        audit(location.tenant, kind, f"{location}{' (primary)' if location.is_primary else ''}", user=user)
    return location


@transaction.atomic
def location_delete(*, location: Location, user=None) -> None:
    with scope(tenant=location.tenant):
        audit(location.tenant, "settings.location_deleted", str(location), user=user)
        was_primary = location.is_primary
        location.delete()
        if was_primary:
            successor = Location.objects.order_by("created_at").first()
            if successor:
                successor.is_primary = True
                successor.save(update_fields=["is_primary"])


# --- Crypto keys -----------------------------------------------------------------------------


@transaction.atomic
def crypto_key_upload(*, tenant: Tenant, content: bytes, user=None, valid_until=None) -> CryptoKey:
    """Store a new NRS key file (encrypted) as the active key; older keys are kept inactive."""
    parsed = parse_key_file(content)
    with scope(tenant=tenant):
        CryptoKey.objects.filter(is_active=True).update(is_active=False)
        key = CryptoKey.objects.create(
            tenant=tenant,
            key_file=parsed.text,
            fingerprint=parsed.fingerprint,
            is_active=True,
            uploaded_by=user,
            valid_until=valid_until,
        )
        audit(tenant, "crypto_key.uploaded", f"Key {parsed.fingerprint[:23]}… is now active.", user=user)
        return key


@transaction.atomic
def crypto_key_activate(*, crypto_key: CryptoKey, user=None) -> CryptoKey:
    with scope(tenant=crypto_key.tenant):
        CryptoKey.objects.filter(is_active=True).exclude(pk=crypto_key.pk).update(is_active=False)
        crypto_key.is_active = True
        crypto_key.save(update_fields=["is_active"])
        audit(crypto_key.tenant, "crypto_key.activated", f"Key {crypto_key.fingerprint[:23]}…", user=user)
    return crypto_key


def crypto_key_set_valid_until(*, crypto_key: CryptoKey, valid_until, user=None) -> CryptoKey:
    old = crypto_key.valid_until
    if old != valid_until:
        crypto_key.valid_until = valid_until
        crypto_key.save(update_fields=["valid_until"])
        message = f"Key {crypto_key.fingerprint[:23]}…: {_until_words(valid_until)}"
        changes = diff({"valid_until": old}, {"valid_until": valid_until})
        audit(crypto_key.tenant, "crypto_key.valid_until", message, user=user, changes=changes)
    return crypto_key


def crypto_key_delete(*, crypto_key: CryptoKey, user=None) -> None:
    audit(crypto_key.tenant, "crypto_key.deleted", f"Key {crypto_key.fingerprint[:23]}…", user=user)
    crypto_key.delete()


# --- API keys --------------------------------------------------------------------------------


def allowed_networks_clean(networks) -> list[str]:
    """The networks as CIDR text (203.0.113.0/24, 2001:db8::/32; a bare address is one host), or a ValidationError
    on `allowed_networks` naming each entry that is not a network."""
    if isinstance(networks, str):  # the portal's text box: one a line, or separated by commas
        networks = re.split(r"[\n,;]", networks)
    cleaned, wrong = [], []
    for entry in networks or []:
        text = str(entry).strip()
        if not text:
            continue
        try:
            network = ipaddress.ip_network(text, strict=False)
        except ValueError:
            wrong.append(text)
            continue
        if str(network) not in cleaned:
            cleaned.append(str(network))
    if wrong:
        raise ValidationError(
            {
                "allowed_networks": f"Not an IP address or network: {', '.join(wrong)}. Write each one like "
                "203.0.113.0/24 or 2001:db8::/32 (a single address is allowed too), or leave it empty to allow "
                "any address."
            }
        )
    if len(cleaned) > 50:
        raise ValidationError({"allowed_networks": "List at most 50 networks."})
    return cleaned


def api_key_create(
    *, tenant: Tenant, name: str, expires_at=None, user=None, read_only=False, allowed_networks=()
) -> tuple[ApiKey, str]:
    """Returns the key row and the plaintext key, which exists only in this return value."""
    if not name.strip():
        raise ValidationError({"name": "Give the key a name, such as the system that will use it."})
    if expires_at and expires_at <= timezone.now():
        raise ValidationError({"expires_at": "Choose an expiry date in the future, or leave it empty."})
    networks = allowed_networks_clean(allowed_networks)
    env = "test" if tenant.is_sandbox else "live"
    plaintext = f"fp_{env}_" + "".join(secrets.choice(_ALPHABET) for _ in range(40))
    key = ApiKey.objects.create(
        tenant=tenant,
        name=name.strip(),
        prefix=plaintext[:16],
        key_hash=_sha256(plaintext),
        expires_at=expires_at,
        created_by=user,
        read_only=bool(read_only),
        allowed_networks=networks,
    )
    access = "read-only" if key.read_only else "read-write"
    where = f", from {', '.join(networks)} only" if networks else ""
    audit(tenant, "api_key.created", f"{key.name} ({key.prefix}…), {access}{where}", user=user)
    return key, plaintext


def api_key_revoke(*, api_key: ApiKey, user=None) -> ApiKey:
    if not api_key.revoked_at:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])
        audit(api_key.tenant, "api_key.revoked", f"{api_key.name} ({api_key.prefix}…)", user=user)
    return api_key


def api_key_lookup(plaintext: str) -> ApiKey | None:
    """The key row for a presented key (any status), found by its hash across tenants."""
    if not plaintext or len(plaintext) > 200:
        return None
    # Every API request starts here: SQL written once, with the tenant in the same row (no scope: any tenant).
    return row_where(ApiKey, f"{ApiKey._meta.db_table}.key_hash = %s", [_sha256(plaintext)], parent="tenant")


def api_key_touch(api_key: ApiKey) -> None:
    """Record use, at most once a minute per key, so authenticated reads don't all write."""
    now = timezone.now()
    if not api_key.last_used_at or now - api_key.last_used_at > timedelta(minutes=1):
        ApiKey.objects.with_scopes_disabled().filter(pk=api_key.pk).update(last_used_at=now)
        api_key.last_used_at = now

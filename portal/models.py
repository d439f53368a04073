from django.contrib.auth.base_user import BaseUserManager
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email, password=None, **extra):
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email, password=None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractUser):
    """A person who logs in to the portal; they sign in with their e-mail address."""

    username = None
    email = models.EmailField(_("e-mail address"), unique=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = []
    objects = UserManager()

    def __str__(self):
        return self.get_full_name() or self.email


class RateCounter(models.Model):
    """Requests counted in one rate-limit window, on PostgreSQL without Redis (on SQLite the same table lives in
    a file of its own: portal/ratelimit.py)."""

    key = models.CharField(max_length=200)
    window_start = models.BigIntegerField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["key", "window_start"], name="one_counter_per_window")]

    def __str__(self):
        return f"{self.key}@{self.window_start}: {self.count}"


class IdempotencyRecord(models.Model):
    """The first answer to a creating POST sent with an Idempotency-Key, replayed to repeats for 24 hours."""

    scope = models.CharField(max_length=64)  # the tenant (or client) the key belongs to
    key = models.CharField(max_length=255)
    route = models.CharField(max_length=200)
    body_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)  # null: the first request is running
    response_body = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["scope", "key"], name="one_record_per_idempotency_key")]

    def __str__(self):
        return f"{self.key} → {self.status_code}"


class UserSession(models.Model):
    """A signed-in session of a person, for "Where you're signed in": which device, from where, since when.

    Keyed by the session key of Django's session table; the session itself (and so signing it out) lives there.
    """

    session_key = models.CharField(max_length=40, unique=True)
    user = models.ForeignKey("portal.User", on_delete=models.CASCADE, related_name="signed_in_sessions")
    user_agent = models.CharField(max_length=400, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField()

    class Meta:
        ordering = ["-last_seen_at", "-id"]

    def __str__(self):
        return f"{self.user} @ {self.ip_address or '?'}"

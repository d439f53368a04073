"""When a signed-in person still owes a second factor, and when their business makes them enrol one.

Kept apart from the two-factor pages (tenants/two_factor.py) so that the view decorators and the API permissions
(tenants/permissions.py) can ask without importing the pages.
"""

from django_otp import user_has_device

# Set at sign-in when the password was right and the account has a confirmed device; cleared once a code is
# accepted. Until then the session may reach only the code page and sign-out.
SESSION_PENDING = "two_factor_pending"


def verification_pending(request) -> bool:
    user = request.user
    if not user.is_authenticated or not request.session.get(SESSION_PENDING):
        return False
    is_verified = getattr(user, "is_verified", None)
    return not (is_verified and is_verified())


def enrolment_needed(request) -> bool:
    """The member's business requires two-factor sign-in and they have no confirmed device yet."""
    membership = getattr(request, "membership", None)
    if membership is None or not membership.tenant.require_two_factor:
        return False
    return not user_has_device(request.user, confirmed=True)


def has_device(user) -> bool:
    return user.is_authenticated and user_has_device(user, confirmed=True)


def signed_in_with_code(request, user) -> bool:
    """Called by the sign-in page right after a right password: True when a code is still owed."""
    if not has_device(user):
        return False
    request.session[SESSION_PENDING] = True
    return True

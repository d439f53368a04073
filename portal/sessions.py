"""Django's database sessions (settings.SESSION_ENGINE), refusing a session cookie that holds a NUL character.

Django's own keys are [a-z0-9]; only a forged cookie holds a NUL, and it would reach the session query, which
PostgreSQL refuses (a 500 on every page and every API route). Such a key is no session, like any other invalid one.
"""

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore


class SessionStore(DatabaseSessionStore):
    def _validate_session_key(self, key):
        return super()._validate_session_key(key) and "\x00" not in key

from tests.webhooks.support import *  # noqa: F403  (fixtures and helpers)

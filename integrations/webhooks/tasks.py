"""django-q2 entry points: thin, load by id, call the service, safe to run twice."""

from integrations.webhooks import delivery


def deliver(delivery_id) -> str:
    return delivery.delivery_attempt(delivery_id)


def sweep_webhooks() -> dict:
    return delivery.sweep()

"""Outbound invoice events: one endpoint per tenant, signed deliveries with retries (spec "Invoice Webhook Events")."""

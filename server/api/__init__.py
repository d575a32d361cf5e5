"""The HTTP API under ``/api/v1`` (and the CRM webhooks under ``/hooks``): parse, authorise, call a service,
answer. No business rule lives here, and nothing below imports it."""

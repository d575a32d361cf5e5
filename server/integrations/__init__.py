"""Inbound CRM integrations: one module per source turns its webhooks into canonical events.

Each adapter verifies the request by the source's own scheme, parses it with pure functions, and hands
canonical events to ``pipeline.deliver`` — the same idempotent write as ``POST /api/v1/events``.
``csv_import`` parses historical deals for a backfill. Set-up guides: ``docs/integrations/``.
"""

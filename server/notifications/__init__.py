"""Celebrations out to the chats sales teams live in: WeCom, DingTalk, Feishu, Slack and Microsoft Teams.

``channels`` (what a webhook wants to hear), ``collector`` (durable sources → notifications), ``store``
(Redis: outboxes, cursors, dead letters), ``sender`` (rate limits, retries, summaries), ``messages`` (the
words, in Chinese or English), ``formats`` (each platform's payload and signature), ``transport`` (HTTP),
``digest`` (the daily and weekly 战报) and ``notifier`` (the leased loop). Set-up per platform:
``docs/integrations/notifications.md``.
"""

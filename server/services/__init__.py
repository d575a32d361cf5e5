"""What the server does, whoever asks: ingest events, keep the registry, rescore, replay for insights.
No ``Request`` below this line: HTTP handlers, pages, the live hub and the workers call in."""

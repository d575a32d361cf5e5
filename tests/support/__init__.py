"""Helpers the tests share: the server, the organisation, dates, waiting, the browser and fake services."""

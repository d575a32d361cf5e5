"""Background work of every process: the scheduler (time-driven jobs under a lease) and the badge worker."""

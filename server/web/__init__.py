"""Server-rendered pages: the managers' console, the TV, the phone and the lift report."""

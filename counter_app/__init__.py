"""Counter App: a three-minute hourglass, a one-press rating, a durable record."""

__version__ = "0.1.0"

"""Counter App: a three-minute hourglass, a one-press rating, a durable record."""

#: the one place the version is written: pyproject.toml's [tool.setuptools.dynamic] reads it
__version__ = "0.2.0"

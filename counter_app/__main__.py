"""`python -m counter_app` runs the command line."""

from counter_app.cli import main

raise SystemExit(main())

"""`python -m counter_app.cli` is `counter-app` (as is `python -m counter_app`)."""

from counter_app.cli import main

raise SystemExit(main())

"""``python -m govgate``: the same as the ``govgate`` command."""

from govgate.cli import main

raise SystemExit(main())

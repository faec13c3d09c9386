"""``python -m helpers.bench``: see :mod:`helpers.bench`."""

from .cli import main

raise SystemExit(main())

"""Lets ``python -m coursekit ...`` work like the ``coursekit`` command."""

from .cli import main

raise SystemExit(main())

"""``python -m coursekit.grading SUBMISSIONS --out GRADES``: the same as ``coursekit grade``."""

from . import main

raise SystemExit(main())

"""``python -m taskstatus``: the same as the ``taskstatus`` command."""

from ._cli import main

raise SystemExit(main())

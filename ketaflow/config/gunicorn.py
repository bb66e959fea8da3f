"""gunicorn settings for `make run-prod` (scripts/run-prod.sh adds workers, bind address and logging).

Django is imported once in the master (``preload_app``) and the objects alive at that point (modules, URL
patterns, model and template machinery: about 200,000 of them) are moved out of the garbage collector's reach
with ``gc.freeze()`` just before each worker is forked. Without it every full collection in a worker walks
them all again, which showed as occasional requests tens of milliseconds slower than their median; it also
keeps the shared memory pages shared (a collection writes to every object it visits). Nothing opens a database
connection at import time, so no connection is shared across the fork.
"""

from __future__ import annotations

import gc
from typing import Any

preload_app = True


def pre_fork(server: Any, worker: Any) -> None:
    gc.freeze()

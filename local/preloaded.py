"""Imported last by the workers' forkserver (``local.processes``): what it preloaded is frozen, so workers share it.

After a fork, CPython's cyclic garbage collector walks every object the forkserver had loaded and
writes to each one's header, so the pages a worker was to share with the forkserver were copied into
it, one by one (a worker shared 21 of the forkserver's 50 MB). ``gc.freeze()`` moves those objects
to a generation the collector never walks: they stay shared. Import it nowhere else.
"""

from __future__ import annotations

import gc

gc.collect()
gc.freeze()

#!/usr/bin/env python3
"""dbt as a child that cannot outlive its run: the executable dagster-dbt starts (DBT_CHILD). It asks the
Linux kernel to kill it when the process that started it dies (PR_SET_PDEATHSIG), then becomes dbt
(SALESFUNNEL_DBT). Without it, a run killed with SIGKILL left its `dbt build` writing marts that no run
recorded, holding the warehouse for the next run. Elsewhere than Linux it only becomes dbt."""

import ctypes
import os
import signal
import sys

PR_SET_PDEATHSIG = 1

if sys.platform.startswith("linux"):
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() == 1:  # the parent died before prctl took effect
        sys.exit(1)
dbt = os.environ["SALESFUNNEL_DBT"]
os.execv(dbt, [dbt, *sys.argv[1:]])

"""HiGHS is silenced with its own options: nothing reaches file descriptor 1, from any thread."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def test_solving_from_threads_writes_nothing_to_stdout_and_leaves_fd_1_alone():
    """A fresh process solves from four threads at once; its stdout holds exactly the line it printed."""
    script = textwrap.dedent(
        """
        import os, threading
        import numpy as np
        from policies import lp

        before = os.fstat(1)
        redirects = []
        real_dup2 = os.dup2
        os.dup2 = lambda *args, **kwargs: (redirects.append(args), real_dup2(*args, **kwargs))[1]
        batteries = lp.Batteries(
            capacity_kwh=np.array([100.0]), energy_kwh=np.array([50.0]), efficiency=np.array([0.9]),
            charge_kw=np.full((1, 2), 10.0), discharge_kw=np.full((1, 2), 10.0),
            floor_kwh=np.full((1, 2), 20.0), baseline_kw=np.full((1, 2), 10.0),
        )
        target = lp.Target(
            low_kw=np.full(2, 5.0), high_kw=np.full(2, 6.0), load_up=np.zeros(2, dtype=bool),
            other_reduction_kw=np.zeros(2), duration_h=np.full(2, 0.5),
        )
        results = []
        threads = [threading.Thread(target=lambda: results.append(lp.solve(batteries, target)))
                   for _ in range(4)]
        for t in threads: t.start()
        for t in threads: t.join()
        after = os.fstat(1)
        assert (before.st_dev, before.st_ino) == (after.st_dev, after.st_ino)
        assert redirects == [], redirects
        print("solved", len(results))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "solved 4\n"

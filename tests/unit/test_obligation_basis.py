"""The basis of the kept obligations (the rules' fingerprint) is the same in every process.

Were it not, each restart, and each of two processes, would find everybody's kept items stale and
work the whole city out again: the rules hold sets, whose order follows PYTHONHASHSEED.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from models.policy import Policy
from models.services.obligations.evaluate import basis_of

ROOT = Path(__file__).resolve().parents[2]
PRINT_BASIS = (
    "from models.policy import Policy; from models.services.obligations.evaluate import basis_of; "
    "print(basis_of(Policy()))"
)


def test_the_basis_does_not_depend_on_the_process_hash_seed() -> None:
    seen = set()
    for seed in ("0", "1", "2", "3", "12345"):
        env = os.environ | {"PYTHONHASHSEED": seed, "PYTHONPATH": str(ROOT)}
        done = subprocess.run(
            [sys.executable, "-c", PRINT_BASIS], env=env, cwd=ROOT, capture_output=True, text=True, check=True
        )
        seen.add(done.stdout.strip())
    assert seen == {basis_of(Policy())}

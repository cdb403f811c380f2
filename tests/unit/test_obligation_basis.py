"""The basis of the kept obligations (the rules' fingerprint) is the same in every process.

Were it not, each restart, and each of two processes, would find everybody's kept items stale and
work the whole city out again: the rules hold sets, whose order follows PYTHONHASHSEED.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace
from datetime import time
from pathlib import Path
from zoneinfo import ZoneInfo

from models.policy import Policy

ROOT = Path(__file__).resolve().parents[2]
PRINT_BASIS = "from models.policy import Policy; print(Policy().basis)"


def test_the_basis_does_not_depend_on_the_process_hash_seed() -> None:
    seen = set()
    for seed in ("0", "1", "2", "3", "12345"):
        env = os.environ | {"PYTHONHASHSEED": seed, "PYTHONPATH": str(ROOT)}
        done = subprocess.run(
            [sys.executable, "-c", PRINT_BASIS], env=env, cwd=ROOT, capture_output=True, text=True, check=True
        )
        seen.add(done.stdout.strip())
    assert seen == {Policy().basis}


def test_the_basis_follows_the_ladder_and_the_zone_not_the_other_settings() -> None:
    base = Policy()
    assert replace(base).basis == base.basis  # worked out per policy, the same for an equal one
    assert replace(base, escalate_to_digest_after_days=14).basis != base.basis  # items kept longer
    assert replace(base, tz=ZoneInfo("Asia/Urumqi")).basis != base.basis
    assert replace(base, morning_at=time(9, 0), family_messages_per_hour=3).basis == base.basis

"""The garbage collector as a gunicorn worker has it once it imported ``wsgi``."""

import os
import subprocess
import sys
from pathlib import Path

from bookstore.ops import memory

PROJECT_ROOT = Path(__file__).resolve().parents[2]

# A fresh interpreter, as a worker: import the entry point, then say how the collector is set.
WORKER = "import gc, wsgi; print(*gc.get_threshold(), gc.get_freeze_count())"


def test_a_worker_leaves_the_app_out_of_sweeps_and_sweeps_young_objects_less_often(tmp_path):
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'shop.db'}",
        "INSTANCE_PATH": str(tmp_path),
        "SECRET_KEY": "k",
        "REDIS_URL": "",
        "SHOP_BASE_URL": "http://127.0.0.1",
        "MAIL_SERVER": "",
    }
    result = subprocess.run(
        [sys.executable, "-c", WORKER],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    young, middle, old, frozen = (int(n) for n in result.stdout.split())
    assert (young, middle, old) == (
        memory.YOUNG_SWEEP_AFTER,
        memory.OLDER_SWEEP_EVERY,
        memory.OLDER_SWEEP_EVERY,
    )
    assert young > 700  # sweeps less often than Python's default
    # The app's modules, models and templates: far more than a bare interpreter's few thousand.
    assert frozen > 50_000

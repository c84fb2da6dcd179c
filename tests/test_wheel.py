"""The built wheel holds every file of the package that the shop reads at run time."""

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def package_data_files() -> set[str]:
    """Every file in bookstore/ that is not Python source: templates, word lists, data, CSS."""
    return {
        path.relative_to(ROOT).as_posix()
        for path in (ROOT / "bookstore").rglob("*")
        if path.is_file() and path.suffix not in {".py", ".pyc"} and "__pycache__" not in path.parts
    }


@pytest.mark.slow
def test_the_wheel_holds_every_data_file_of_the_package(tmp_path):
    # Build from a copy, so the build leaves nothing in the work tree (and parallel runs agree).
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(
        ROOT / "bookstore", source / "bookstore", ignore=shutil.ignore_patterns("__pycache__")
    )
    result = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", "dist", "."],
        cwd=source,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    (wheel,) = (source / "dist").glob("bookstore-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())

    expected = package_data_files()
    assert {
        "bookstore/accounts/common_passwords.txt",
        "bookstore/demo/demo_data.json",
        "bookstore/stripe_sandbox/templates/stripe_sandbox/pay.html",
        "bookstore/stripe_sandbox/static/sandbox.css",
    } <= expected
    assert expected - names == set()
    assert "bookstore/ops/gunicorn_config.py" in names

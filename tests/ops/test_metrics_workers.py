"""Several worker processes: with PROMETHEUS_MULTIPROC_DIR a scrape adds up every worker."""

import os
import subprocess
import sys
import textwrap

import pytest

# Runs in a fresh interpreter: the environment variable must be set before prometheus_client
# is imported, as gunicorn's workers get it from their parent.
WORKER = textwrap.dedent(
    """
    import sys
    from bookstore import create_app

    app = create_app({
        "TESTING": True, "SECRET_KEY": "k", "INSTANCE_PATH": sys.argv[1],
        "SQLALCHEMY_DATABASE_URI": "sqlite:///" + sys.argv[1] + "/db.sqlite",
        "REDIS_URL": None, "PAGE_CACHE_SECONDS": 0,
    })
    client = app.test_client()
    for _ in range(int(sys.argv[2])):
        assert client.get("/no/such/page").status_code == 404
    if sys.argv[3] == "scrape":
        print(client.get("/metrics").get_data(as_text=True))
    """
)


def run_worker(folder, instance, requests: int, scrape: bool) -> str:
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(folder)}
    result = subprocess.run(
        [sys.executable, "-c", WORKER, str(instance), str(requests), "scrape" if scrape else "-"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.slow
def test_a_scrape_counts_the_requests_of_every_worker(tmp_path):
    folder = tmp_path / "prometheus"
    folder.mkdir()
    instance = tmp_path / "instance"
    instance.mkdir()
    run_worker(folder, instance, requests=3, scrape=False)
    run_worker(folder, instance, requests=4, scrape=False)
    text = run_worker(folder, instance, requests=1, scrape=True)
    line = 'bookstore_http_requests_total{endpoint="unmatched",method="GET",status="404"}'
    assert f"{line} 8.0" in text

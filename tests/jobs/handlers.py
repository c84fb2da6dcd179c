"""Job kinds for the tests: they record what they saw, or fail on demand."""

from bookstore.extensions import db
from bookstore.jobs import ClaimedJob, PermanentJobError, job_handler

seen: list[dict] = []
failures = {"left": 0}


@job_handler("test-record")
def record_run(payload: dict, job: ClaimedJob) -> None:
    seen.append(
        {
            **payload,
            "job": job.id,
            "attempt": job.attempts,
            "in_transaction": db.session().in_transaction(),
        }
    )


@job_handler("test-flaky")
def fail_while_told(payload: dict, job: ClaimedJob) -> None:
    if failures["left"] > 0:
        failures["left"] -= 1
        raise ConnectionError("the far side is down")
    seen.append({**payload, "job": job.id, "attempt": job.attempts})


@job_handler("test-hopeless")
def fail_for_good(payload: dict, job: ClaimedJob) -> None:
    raise PermanentJobError("this can never work")

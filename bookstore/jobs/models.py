"""The outbox: one row per piece of deferred work, written in the transaction that causes it."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bookstore.dbtypes import UTCDateTime, str_enum, utcnow
from bookstore.extensions import Model


class JobState(enum.StrEnum):
    PENDING = "pending"  # waiting for its run_after time and a worker
    RUNNING = "running"  # claimed by a worker until locked_until (a lease that expires)
    DONE = "done"
    FAILED = "failed"  # gave up after max_attempts: the dead-letter list staff can retry


class Job(Model):
    __tablename__ = "jobs"
    __table_args__ = (
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        CheckConstraint("max_attempts >= 1", name="max_attempts_positive"),
        # What the dispatcher and the claim look for: due pending jobs, lapsed leases.
        Index("ix_jobs_state_run_after", "state", "run_after"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    state: Mapped[JobState] = mapped_column(
        str_enum(JobState, "job_state"), default=JobState.PENDING
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=10)
    run_after: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The same effect is queued once: e.g. "order-confirmation:42" or "digest:2026-W48:7".
    key: Mapped[str | None] = mapped_column(String(200), unique=True)

    def __repr__(self) -> str:
        return f"<Job {self.id} {self.kind} {self.state}>"

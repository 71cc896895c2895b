"""Background jobs: a library call with a progress callback, run off the request thread.

A job is a function ``fn(workdir, progress) -> JobOutput``: it reads its inputs from (and writes
its files to) ``workdir``, a temporary folder of its own, and calls ``progress(done, total,
text)`` from time to time. The :class:`JobRunner` runs jobs one at a time per worker thread, in
the order they were submitted; the others wait in a queue of bounded length. A job is cancelled
while it waits, or at its next progress call while it runs (the callback raises
:class:`Cancelled`). A finished job is kept, with its folder, for a while and then removed
(:data:`~evgrid.web.settings.JOB_KEEP_S`); removing a job removes its folder, uploads included.
"""

from __future__ import annotations

import logging
import os
import queue
import secrets
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evgrid.errors import EvgridError
from evgrid.report.tables import Table

log = logging.getLogger("evgrid.web")

STATES = ("queued", "running", "done", "failed", "cancelled")
FINISHED = ("done", "failed", "cancelled")


def scrub(message: str, folder: Path) -> str:
    """A message without the server's temporary folder (clients see their own file names)."""
    return message.replace(f"{folder}{os.sep}", "").replace(str(folder), "")


class Cancelled(Exception):  # noqa: N818 (a signal, not an error)
    """Raised in a job's progress callback once the job has been cancelled."""


class QueueFullError(EvgridError):
    """The job queue is full; try again later."""


@dataclass
class JobOutput:
    """What a finished job shows and offers for download.

    Parameters
    ----------
    document
        The JSON result (the same document the command line prints with ``--json``).
    tables
        Tables for the job page (each also offered as CSV).
    figures
        Plotly figures for the job page, by file stem.
    files
        Downloads by name: files in the job's folder.
    links
        Pages to open from the result, label -> download name (e.g. an HTML report).
    """

    document: dict[str, Any] = field(default_factory=dict)
    tables: list[Table] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)
    files: dict[str, Path] = field(default_factory=dict)
    links: dict[str, str] = field(default_factory=dict)


Progress = Callable[[float, float, str], None]
"""``progress(done, total, text)``: ``done`` of ``total`` units, and what is being done."""
JobFn = Callable[[Path, Progress], JobOutput]


@dataclass(eq=False)
class Job:
    """One job: its state, progress and, when done, its output.

    Parameters
    ----------
    kind
        What the job does (``"reproduce"``, ``"city"``).
    fn
        The work.
    workdir
        The job's temporary folder, removed with the job.
    title
        A short description for the job page.
    """

    kind: str
    fn: JobFn
    workdir: Path
    title: str = ""
    id: str = field(default_factory=lambda: secrets.token_urlsafe(12))
    state: str = "queued"
    done: float = 0.0
    total: float = 0.0
    text: str = ""
    error: str | None = None
    output: JobOutput | None = None
    created: float = field(default_factory=time.time)
    started: float | None = None
    finished: float | None = None
    cancel_requested: threading.Event = field(default_factory=threading.Event)

    @property
    def fraction(self) -> float | None:
        """Share of the work done [0-1]; None while unknown."""
        if self.state == "done":
            return 1.0
        return min(self.done / self.total, 1.0) if self.total > 0 else None

    def progress(self, done: float, total: float, text: str = "") -> None:
        """The callback given to the job: record progress, or stop a cancelled job."""
        if self.cancel_requested.is_set():
            raise Cancelled
        self.done, self.total, self.text = float(done), float(total), text

    def to_dict(self, position: int | None = None) -> dict[str, Any]:
        """The job's status as JSON (``GET /api/jobs/{id}``)."""
        files = sorted(self.output.files) if self.output else []
        return {
            "id": self.id,
            "kind": self.kind,
            "title": self.title,
            "state": self.state,
            "progress": self.fraction,
            "message": self.text,
            "queue_position": position,
            "error": self.error,
            "created": self.created,
            "started": self.started,
            "finished": self.finished,
            "files": files,
            "status_url": f"/api/jobs/{self.id}",
            "result_url": f"/api/jobs/{self.id}/result" if self.state == "done" else None,
        }


class JobRunner:
    """A queue of jobs and the worker threads that run them, one job per worker at a time.

    Parameters
    ----------
    workers
        Worker threads [-].
    max_queued
        Jobs waiting at most; :meth:`submit` raises :class:`QueueFullError` beyond [-].
    keep_s
        A finished job is removed this long after it ended [s].
    max_kept
        Finished jobs kept at most; the oldest is removed first [-].
    """

    def __init__(
        self, workers: int = 1, max_queued: int = 16, keep_s: float = 3600.0, max_kept: int = 32
    ) -> None:
        self.max_queued = max_queued
        self.keep_s = keep_s
        self.max_kept = max_kept
        self._queue: queue.Queue[Job | None] = queue.Queue()
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._threads = [
            threading.Thread(target=self._work, name=f"evgrid-job-{i}", daemon=True)
            for i in range(workers)
        ]
        self._started = False
        self._start_lock = threading.Lock()

    def start(self) -> None:
        """Start the worker threads (once; the first :meth:`submit` does it too)."""
        with self._start_lock:
            if not self._started:
                self._started = True
                for thread in self._threads:
                    thread.start()

    def new_workdir(self) -> Path:
        """A fresh temporary folder for a job's uploads and files."""
        return Path(tempfile.mkdtemp(prefix="evgrid-job-"))

    def submit(self, kind: str, fn: JobFn, workdir: Path | None = None, title: str = "") -> Job:
        """Queue ``fn`` as a job and return it (state ``queued``).

        Raises
        ------
        QueueFullError
            When :attr:`max_queued` jobs are already waiting; ``workdir`` is removed then.
        """
        workdir = workdir or self.new_workdir()
        job = Job(kind=kind, fn=fn, workdir=workdir, title=title)
        with self._lock:
            self._expire()
            waiting = sum(1 for j in self._jobs.values() if j.state == "queued")
            if waiting >= self.max_queued:
                shutil.rmtree(workdir, ignore_errors=True)
                raise QueueFullError(
                    f"jobs: {waiting} waiting; allowed: at most {self.max_queued}, try again later"
                )
            self._jobs[job.id] = job
        self._queue.put(job)
        self.start()
        return job

    def get(self, job_id: str) -> Job | None:
        """The job with this id, or None (unknown or removed)."""
        with self._lock:
            self._expire()
            return self._jobs.get(job_id)

    def jobs(self) -> list[Job]:
        """Every job kept, newest first."""
        with self._lock:
            self._expire()
            return sorted(self._jobs.values(), key=lambda j: j.created, reverse=True)

    def position(self, job: Job) -> int | None:
        """How many queued jobs were submitted before this one (0: next), None if not queued."""
        if job.state != "queued":
            return None
        with self._lock:
            return sum(
                1 for j in self._jobs.values() if j.state == "queued" and j.created < job.created
            )

    def cancel(self, job: Job) -> None:
        """Cancel a queued job now, a running one at its next progress call."""
        job.cancel_requested.set()
        with self._lock:
            if job.state == "queued":
                self._finish(job, "cancelled")

    def remove(self, job: Job) -> None:
        """Cancel the job, forget it and remove its folder (a running job's when it stops)."""
        self.cancel(job)
        with self._lock:
            self._jobs.pop(job.id, None)
            if job.state in FINISHED:
                shutil.rmtree(job.workdir, ignore_errors=True)

    def shutdown(self, timeout_s: float = 5.0) -> None:
        """Cancel every job, stop the workers and remove every job folder."""
        for job in self.jobs():
            job.cancel_requested.set()
            self.cancel(job)
        for _ in self._threads:
            self._queue.put(None)
        if self._started:
            for thread in self._threads:
                thread.join(timeout_s)
        with self._lock:
            for job in self._jobs.values():
                shutil.rmtree(job.workdir, ignore_errors=True)
            self._jobs.clear()

    def _finish(self, job: Job, state: str, error: str | None = None) -> None:
        job.state = state
        job.error = error
        job.finished = time.time()

    def _expire(self) -> None:
        """Remove finished jobs older than :attr:`keep_s`, and the oldest beyond
        :attr:`max_kept` (call with the lock held)."""
        now = time.time()
        finished = sorted(
            (j for j in self._jobs.values() if j.state in FINISHED), key=lambda j: j.created
        )
        for i, job in enumerate(finished):
            old = job.finished is not None and now - job.finished > self.keep_s
            if old or len(finished) - i > self.max_kept:
                del self._jobs[job.id]
                shutil.rmtree(job.workdir, ignore_errors=True)

    def _work(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            with self._lock:
                if job.state != "queued":  # cancelled while it waited
                    continue
                job.state = "running"
                job.started = time.time()
            self._run(job)
            with self._lock:
                if job.id not in self._jobs:  # removed while it ran
                    shutil.rmtree(job.workdir, ignore_errors=True)

    def _run(self, job: Job) -> None:
        try:
            output = job.fn(job.workdir, job.progress)
        except Cancelled:
            with self._lock:
                self._finish(job, "cancelled")
            return
        except (EvgridError, OSError) as exc:
            with self._lock:
                self._finish(job, "failed", scrub(str(exc), job.workdir))
            return
        except MemoryError:
            with self._lock:
                self._finish(job, "failed", "out of memory; try fewer days or sites")
            return
        except Exception as exc:  # a bug: the server keeps serving, the log has the traceback
            log.exception("job %s (%s) failed", job.id, job.kind)
            with self._lock:
                self._finish(job, "failed", f"internal error: {type(exc).__name__}")
            return
        with self._lock:
            if job.cancel_requested.is_set():
                self._finish(job, "cancelled")
            else:
                job.output = output
                self._finish(job, "done")

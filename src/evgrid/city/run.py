"""A city run: chunks of sites on local processes or a Dask cluster, resumable, atomic.

Layout of the output folder ``DIR``::

    manifest.json          the run's inputs and options (a resumed run must match them)
    chunks/chunk-00000/    results.parquet and upgrades.parquet of sites 0..99 (renamed into
                           place when complete: a chunk is there whole or not at all)
    results.parquet, results.csv    one row per site × year × strategy × scenario
    upgrades.parquet, upgrades.csv  one row per site × strategy × scenario
    errors.csv             refused rows: row, field, value, message
    summary.json           the city's figures (report layer: summary.html)

A run killed at any moment (SIGKILL included) and started again with the same arguments reads
the manifest, keeps the finished chunks, computes the others and assembles the same files as an
uninterrupted run: no finished site is recomputed, no row lost or duplicated. The final files
are written atomically (:func:`evgrid.fileio.write_atomic`) from the chunks in chunk order.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import sys
import tempfile
import threading
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np

from evgrid._version import __version__
from evgrid.city.compute import ChunkTask, compute_chunk
from evgrid.city.settings import CitySettings
from evgrid.city.sites import SiteRows, file_digest, read_sites
from evgrid.errors import InputError, bad_value
from evgrid.io import parquet_rows, write_json, write_table
from evgrid.io.writers import naming
from evgrid.params import Spec, parameter

ENGINES = ("local", "dask")
MANIFEST = "manifest.json"
CHUNKS = "chunks"
LOCK = ".evgrid-lock"
"""A run holds this file of its output folder locked (``flock``) while it writes there, so a
second run on the same folder is refused instead of racing the first."""
OUTPUT_FILES = (
    "results.parquet",
    "results.csv",
    "upgrades.parquet",
    "upgrades.csv",
    "errors.csv",
    "summary.json",
)
"""The files a finished run writes for its readers (beside its manifest and chunks)."""
Progress = Callable[[int, int], None]
"""``progress(sites_done, sites_total)``, called as chunks complete (resumed ones first) and,
in a run in this process (one worker), as each time-series site is done."""

COST_GUARD_UNITS = 1_000_000
"""Transformers of the largest standard rating whose cost must stay a finite number [-]: a cost
input so large that a city's upgrades would overflow to infinity is refused before the run
(evgrid's choice; a million units is far beyond any city, and any real price passes)."""

_CHUNK_NAME = re.compile(r"chunk-([0-9]{5})")
_WORDS = {
    "evgrid": "the evgrid version",
    "sites": "the site table's path",
    "sites_sha256": "the site table's content",
    "curves_sha256": "a measured load curve's content",
    "scenario": "scenario",
    "scenario_sha256": "the scenario's content",
    "settings_sha256": "an option's value",
}
"""How a manifest key is named when it differs from the run found in the folder."""


@dataclass(frozen=True)
class CityRun:
    """What a finished run wrote.

    Parameters
    ----------
    out
        The output folder.
    n_sites, n_errors
        Good sites and refused rows [-].
    chunks_computed, chunks_resumed
        Chunks this call computed and found finished [-].
    summary
        :func:`evgrid.city.summary.city_summary` of the results.
    """

    out: Path
    n_sites: int
    n_errors: int
    chunks_computed: int
    chunks_resumed: int
    summary: dict[str, Any]


def _canonical(value: Any) -> Any:
    """A JSON-ready, order-independent picture of a settings object, every value included."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: _canonical(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if f.name != "path"  # where a scenario file lies is not what it says
        }
    if isinstance(value, Mapping):
        return sorted([[_canonical(k), _canonical(v)] for k, v in value.items()], key=repr)
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, float):
        return repr(value)  # every bit, and NaN and infinities as JSON text
    if isinstance(value, Path):
        return str(value)
    if value is None or isinstance(value, str | int | bool):
        return value
    return repr(value)


def _digest(value: Any) -> str:
    text = json.dumps(_canonical(value), sort_keys=True, ensure_ascii=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _fingerprint(
    sites_path: Path, rows: SiteRows, settings: CitySettings, chunk_sites: int
) -> dict[str, Any]:
    """Everything a run's results depend on, contents included: the table, each measured curve
    it names (a curve edited between a kill and a resume changes the results), the scenario's
    every value (its base year and interpolation too) and every option."""
    sc = settings.scenario
    curves = sorted({str(s.load_curve) for s in rows.sites if s.load_curve is not None})
    networks = sorted(
        {str(n) for s in rows.sites if isinstance(n := getattr(s, "network", None), Path)}
    )
    extra = {"networks_sha256": [file_digest(n) for n in networks]} if networks else {}
    return {
        "evgrid": __version__,
        "sites": str(sites_path.resolve()),
        "sites_sha256": file_digest(sites_path),
        "curves_sha256": [file_digest(c) for c in curves],
        "scenario": sc.name,
        "scenario_sha256": _digest(sc),
        "settings_sha256": _digest(settings),
        "scenario_values": [[k, v.value] for k, v in sc.sources] + [["years", list(sc.years)]],
        "method": settings.method,
        "strategies": list(settings.strategies),
        "days": settings.days if settings.method == "timeseries" else None,
        "seed": settings.seed if settings.method == "timeseries" else None,
        "criterion": settings.criterion,
        "limit": settings.limit,
        "band": settings.band,
        "cost_per_kva": settings.cost.per_kva,
        "cost_table": None if settings.cost.table is None else sorted(settings.cost.table.items()),
        "discount_rate": settings.discount_rate,
        "basis": settings.basis.to_dict(),
        "chunk_sites": chunk_sites,
        **extra,
    }


def _check_manifest(out: Path, fingerprint: dict[str, Any]) -> None:
    """Write the manifest of a new run, or check that a resumed run has the same one."""
    path = out / MANIFEST
    wanted = json.loads(json.dumps(fingerprint))
    if path.exists():
        try:
            found = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            found, why = None, "not JSON" if isinstance(exc, ValueError) else str(exc.strerror)
        else:
            why = "not the manifest of an evgrid city run"
        if not isinstance(found, dict) or "evgrid" not in found or "sites_sha256" not in found:
            raise bad_value(
                str(path),
                why,
                "the manifest an evgrid city run wrote (choose a new out folder, or remove this "
                "one to start again)",
            )
        if found != wanted:
            differs = next((k for k in wanted if found.get(k) != wanted[k]), "manifest")
            raise bad_value(
                "out",
                str(out),
                f"a new folder, or the folder of a run with the same inputs "
                f"and options ({_WORDS.get(differs, differs)} differs from the run found there)",
            )
        return
    if out.exists() and any(p.name != LOCK for p in out.iterdir()):
        raise bad_value("out", str(out), "an empty or new folder (this one holds other files)")
    write_json(path, wanted, indent=1)


@contextmanager
def _locked(out: Path) -> Iterator[int | None]:
    """Hold the output folder's lock for the run; refuse a folder another run holds.

    Yields the lock's file descriptor (None where ``fcntl`` does not exist), so that worker
    processes forked with a copy of it can close theirs.
    """
    try:
        import fcntl
    except ImportError:  # not a POSIX system: no lock
        yield None
        return
    with naming(out):
        out.mkdir(parents=True, exist_ok=True)
        fd = os.open(out / LOCK, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise bad_value(
                "out", str(out), "a folder no other evgrid run is writing (one is running there)"
            ) from None
        yield fd
    finally:
        os.close(fd)


def _chunk_dir(out: Path, index: int) -> Path:
    return out / CHUNKS / f"chunk-{index:05d}"


def _chunk_rows(rows: SiteRows, settings: CitySettings, size: int, index: int) -> tuple[int, int]:
    """Rows a finished chunk's results and upgrades tables hold [-]."""
    sites = len(rows.sites[index * size : (index + 1) * size])
    strategies = len(settings.strategies)
    return sites * len(settings.scenario.years) * strategies, sites * strategies


def _finished(out: Path, n_chunks: int, expected: Callable[[int], tuple[int, int]]) -> set[int]:
    """Chunks already complete; removes the temporary files and folders of a run cut short, and
    any chunk whose files are damaged or short (it is computed again, with a warning). Entries
    that are not evgrid's (another name, a file where a chunk folder belongs) are left alone."""
    folder = out / CHUNKS
    folder.mkdir(parents=True, exist_ok=True)
    for stale in out.glob(".*.tmp"):  # a final table interrupted while written
        stale.unlink(missing_ok=True)
    done = set()
    for entry in folder.iterdir():
        match = _CHUNK_NAME.fullmatch(entry.name)
        if entry.name.startswith(".") and entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)  # a chunk interrupted while written
        elif match and entry.is_dir() and int(match[1]) < n_chunks:
            index = int(match[1])
            found = tuple(parquet_rows(entry / f"{n}.parquet") for n in ("results", "upgrades"))
            if found == expected(index):
                done.add(index)
                continue
            shown = " and ".join("unreadable" if n is None else str(n) for n in found)
            warnings.warn(
                f"{entry}: damaged or incomplete ({shown} rows where "
                f"{expected(index)[0]} and {expected(index)[1]} belong); computed again",
                UserWarning,
                stacklevel=3,
            )
            shutil.rmtree(entry)
    return done


def _write_chunk(out: Path, index: int, tables: tuple[Any, Any]) -> None:
    """Write a chunk's two tables into a temporary folder and rename it into place."""
    with naming(out / CHUNKS):
        tmp = Path(tempfile.mkdtemp(prefix=f".chunk-{index:05d}.", dir=out / CHUNKS))
    try:
        write_table(tmp / "results.parquet", tables[0])
        write_table(tmp / "upgrades.parquet", tables[1])
        with naming(_chunk_dir(out, index)):
            os.replace(tmp, _chunk_dir(out, index))
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _tasks(
    rows: SiteRows, settings: CitySettings, chunk_sites: int, todo: set[int]
) -> Iterator[ChunkTask]:
    for index in sorted(todo):
        lo, hi = index * chunk_sites, (index + 1) * chunk_sites
        yield ChunkTask(index, rows.rows[lo:hi], rows.ids[lo:hi], rows.sites[lo:hi], settings)


def _watch_parent(parent: int) -> None:
    """End this process when its parent is gone (where no parent-death signal exists)."""
    while os.getppid() == parent:
        threading.Event().wait(1.0)
    os._exit(1)


def _worker_start(parent: int, lock_fd: int | None) -> None:
    """Set up a worker process: it dies with its parent, even a parent killed by SIGKILL.

    On Linux the kernel sends the worker SIGKILL when the parent dies (``prctl`` with
    ``PR_SET_PDEATHSIG``); elsewhere a thread watches the parent's id. Ctrl-C is left to the
    parent (which stops the pool), SIGTERM and SIGHUP end the worker at once, and the worker
    closes its copy of the output folder's lock, so the lock goes with the parent.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, signal.SIG_DFL)
    if lock_fd is not None:
        with suppress(OSError):
            os.close(lock_fd)
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1  # <linux/prctl.h>
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)
    else:
        threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    if os.getppid() != parent:  # the parent died before the signal was set up
        os._exit(1)


def _compute(task: ChunkTask) -> tuple[int, tuple[Any, Any]]:
    return task.index, compute_chunk(task)


def _run_local(
    tasks: Sequence[ChunkTask],
    workers: int,
    lock_fd: int | None,
    on_site: Callable[[], None] | None = None,
) -> Iterator[tuple[int, tuple[Any, Any]]]:
    """Chunks computed here (``on_site`` called by site) or on a pool of worker processes."""
    if workers <= 1 or len(tasks) <= 1:
        for task in tasks:
            yield task.index, compute_chunk(task, on_site)
        return
    import multiprocessing

    pool = multiprocessing.Pool(
        min(workers, len(tasks)), initializer=_worker_start, initargs=(os.getpid(), lock_fd)
    )
    try:
        yield from pool.imap_unordered(_compute, tasks)
        pool.close()
    finally:
        pool.terminate()  # an error, Ctrl-C or a signal: the workers stop now, not after a chunk
        pool.join()


SCHEMES = ("tcp", "tls", "ws", "wss")
"""Dask scheduler address schemes evgrid connects to."""
CONNECT_TIMEOUT_S = 30
"""Time to reach a Dask scheduler before the run is refused [s] (evgrid's choice)."""


def _scheduler_address(scheduler: str) -> tuple[str, int]:
    """(host, port) of a Dask scheduler address, checked and reachable, or one line why not."""
    allowed = "a reachable Dask scheduler address, e.g. tcp://10.0.0.5:8786"
    parts = urlsplit(scheduler if "://" in scheduler else f"tcp://{scheduler}")
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        host, port = None, None
    if parts.scheme not in SCHEMES or not host or port is None or parts.path not in ("", "/"):
        raise bad_value("scheduler", scheduler, allowed)
    try:
        with socket.create_connection((host, port), timeout=CONNECT_TIMEOUT_S):
            pass
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise bad_value("scheduler", scheduler, f"{allowed} ({reason.lower()})") from None
    return host, port


def _run_dask(tasks: Sequence[ChunkTask], scheduler: str) -> Iterator[tuple[int, tuple[Any, Any]]]:
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise bad_value(
            "engine", "dask", "installed dask.distributed (pip install 'evgrid[dask]')"
        ) from None
    _scheduler_address(scheduler)
    try:
        client = Client(scheduler, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise bad_value("scheduler", scheduler, f"a reachable Dask scheduler ({exc})") from None
    with client:
        futures = [client.submit(compute_chunk, task, pure=False) for task in tasks]
        index = {f.key: t.index for f, t in zip(futures, tasks, strict=True)}
        for future in as_completed(futures, loop=client.loop):
            yield index[future.key], future.result()


def _check_costs(settings: CitySettings) -> None:
    """Refuse a cost so large that a city's upgrade costs would overflow to infinity."""
    from evgrid.planning.upgrade import standard_ratings_kva

    cost = settings.cost
    if not cost.given:
        return
    largest = np.array([standard_ratings_kva()[-1]])
    with np.errstate(over="ignore", invalid="ignore"):
        worst = cost.cost_yuan(largest, np.array([COST_GUARD_UNITS]))
    if np.all(np.isfinite(worst)):
        return
    given = ("cost_per_kva", cost.per_kva) if cost.per_kva is not None else ("cost_table", "")
    where, value = given
    if cost.table is not None:
        value = max(cost.table.values())
    raise bad_value(
        where,
        value,
        f"a cost whose sums stay finite numbers ({COST_GUARD_UNITS:,} transformers of "
        f"{largest[0]:g} kVA overflow to infinity)",
    )


def run_city(
    sites_path: str | Path,
    settings: CitySettings,
    out: str | Path,
    *,
    workers: int = 1,
    engine: str = "local",
    scheduler: str | None = None,
    chunk_sites: int | None = None,
    progress: Progress | None = None,
    curve_files: Mapping[str, Path] | None = None,
    network_files: Mapping[str, Path] | None = None,
) -> CityRun:
    """Run (or resume) a city: every good site through the scenario's years and strategies.

    Parameters
    ----------
    sites_path
        The site table (:func:`evgrid.city.sites.read_sites`).
    settings
        Scenario, method, strategies and options.
    out
        Output folder; a new one, or one of an interrupted run with the same arguments.
    workers
        Local processes [-] (``engine="local"``).
    engine
        ``"local"`` or ``"dask"``.
    scheduler
        Address of the Dask scheduler (``engine="dask"``), e.g. ``tcp://10.0.0.5:8786``.
    chunk_sites
        Sites per chunk; default the parameter ``city_chunk_sites`` (time series or modes,
        100) or ``city_chunk_sites_index`` (2000).
    progress
        Called with (sites done, sites in total) as chunks complete.
    curve_files
        The measured curves sent with the table (the web app): ``load_curve`` cells name these
        and no path is opened (:func:`evgrid.city.sites.read_sites`).
    network_files
        The network files sent with the table (the web app): ``network`` cells name these or a
        bundled area.

    Raises
    ------
    InputError
        A bad table, option or output folder; a table with no valid row (after writing
        ``errors.csv``).
    """
    from evgrid.city.summary import assemble, write_errors

    if engine not in ENGINES:
        raise bad_value("engine", engine, " or ".join(ENGINES))
    if engine == "dask" and not scheduler:
        allowed = "a Dask scheduler's address with the dask engine, e.g. tcp://10.0.0.5:8786"
        raise InputError(
            f"scheduler: missing; required: {allowed}", field="scheduler", allowed=allowed
        )
    if engine == "local" and scheduler:
        raise bad_value("scheduler", scheduler, "only with the dask engine")
    Spec("workers", "-", "integer [1, inf)").check(workers, "workers")
    monte_carlo = settings.method == "timeseries" or settings.modes is not None
    default_size = "city_chunk_sites" if monte_carlo else "city_chunk_sites_index"
    size = int(parameter(default_size).resolve(chunk_sites, "chunk_sites"))
    _check_costs(settings)
    sites_file, folder = Path(sites_path), Path(out)
    if folder.resolve() == sites_file.resolve() or sites_file.resolve().is_relative_to(
        folder.resolve() / CHUNKS
    ):
        raise bad_value("out", str(folder), f"a folder other than the input {sites_file}")
    rows = read_sites(sites_file, curve_files=curve_files, network_files=network_files)
    if engine == "dask":
        _scheduler_address(scheduler or "")  # before any file is written
    existed = folder.exists()
    try:
        with _locked(folder) as lock_fd:
            _check_manifest(folder, _fingerprint(sites_file, rows, settings, size))
            n_chunks = -(-len(rows.sites) // size)
            done = _finished(folder, n_chunks, lambda i: _chunk_rows(rows, settings, size, i))
            total = len(rows.sites)
            finished_sites = sum(min(size, total - i * size) for i in done)
            if progress is not None:
                progress(finished_sites, total)
            tasks = list(_tasks(rows, settings, size, set(range(n_chunks)) - done))
            in_chunk = [0]  # sites of the running chunk done (a run in this process)

            def on_site() -> None:
                in_chunk[0] += 1
                if progress is not None:
                    progress(min(finished_sites + in_chunk[0], total), total)

            runs = (
                _run_dask(tasks, scheduler or "")
                if engine == "dask"
                else _run_local(tasks, workers, lock_fd, on_site)
            )
            for index, tables in runs:
                _write_chunk(folder, index, tables)
                finished_sites += tables[1].num_rows // max(len(settings.strategies), 1)
                in_chunk[0] = 0
                if progress is not None:
                    progress(finished_sites, total)
            if not rows.sites:  # nothing to assemble: the refused rows say why
                raise InputError(
                    f"{sites_file}: no valid site row ({len(rows.errors)} refused, see "
                    f"{write_errors(folder, rows)})"
                )
            summary = assemble(folder, n_chunks, rows, settings)
    except InputError:
        if not existed and not any(p.name != LOCK for p in folder.iterdir()):
            shutil.rmtree(folder, ignore_errors=True)  # a refused run leaves no folder
        raise
    return CityRun(folder, total, len(rows.errors), len(tasks), len(done), summary)

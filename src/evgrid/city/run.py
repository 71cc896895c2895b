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

import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evgrid import __version__
from evgrid.city.compute import ChunkTask, CitySettings, compute_chunk
from evgrid.city.sites import SiteRows, file_digest, read_sites
from evgrid.errors import InputError, bad_value
from evgrid.fileio import write_atomic, write_text_atomic
from evgrid.params import Spec, parameter

ENGINES = ("local", "dask")
MANIFEST = "manifest.json"
CHUNKS = "chunks"
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
"""``progress(sites_done, sites_total)``, called as chunks complete (resumed ones first)."""


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


def _fingerprint(sites_path: Path, settings: CitySettings, chunk_sites: int) -> dict[str, Any]:
    sc = settings.scenario
    return {
        "evgrid": __version__,
        "sites": str(sites_path.resolve()),
        "sites_sha256": file_digest(sites_path),
        "scenario": sc.name,
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
    }


def _check_manifest(out: Path, fingerprint: dict[str, Any]) -> None:
    """Write the manifest of a new run, or check that a resumed run has the same one."""
    path = out / MANIFEST
    wanted = json.loads(json.dumps(fingerprint))
    if path.is_file():
        try:
            found = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            found = None
        if found != wanted:
            differs = next(
                (k for k in wanted if not isinstance(found, dict) or found.get(k) != wanted[k]),
                "manifest",
            )
            raise bad_value(
                "--out",
                str(out),
                f"a new folder, or the folder of a run with the same inputs "
                f"and options ({differs} differs from the run found there)",
            )
        return
    if out.exists() and any(out.iterdir()):
        raise bad_value("--out", str(out), "an empty or new folder (this one holds other files)")
    write_text_atomic(path, json.dumps(wanted, indent=1))


def _chunk_dir(out: Path, index: int) -> Path:
    return out / CHUNKS / f"chunk-{index:05d}"


def _finished(out: Path, n_chunks: int) -> set[int]:
    """Chunks already complete; removes the temporary files and folders of a run cut short."""
    folder = out / CHUNKS
    folder.mkdir(parents=True, exist_ok=True)
    for stale in out.glob(".*.tmp"):  # a final table interrupted while written
        stale.unlink(missing_ok=True)
    done = set()
    for entry in folder.iterdir():
        if entry.name.startswith("."):
            shutil.rmtree(entry, ignore_errors=True)  # a chunk interrupted while written
        elif entry.name.startswith("chunk-") and int(entry.name[6:]) < n_chunks:
            done.add(int(entry.name[6:]))
    return done


def _write_chunk(out: Path, index: int, tables: tuple[Any, Any]) -> None:
    """Write a chunk's two tables into a temporary folder and rename it into place."""
    import pyarrow.parquet as pq

    tmp = Path(tempfile.mkdtemp(prefix=f".chunk-{index:05d}.", dir=out / CHUNKS))
    try:
        pq.write_table(tables[0], tmp / "results.parquet")
        pq.write_table(tables[1], tmp / "upgrades.parquet")
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


def _run_local(tasks: Sequence[ChunkTask], workers: int) -> Iterator[tuple[int, tuple[Any, Any]]]:
    if workers <= 1 or len(tasks) <= 1:
        for task in tasks:
            yield task.index, compute_chunk(task)
        return
    from concurrent.futures import ProcessPoolExecutor, as_completed

    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = {pool.submit(compute_chunk, task): task.index for task in tasks}
        for future in as_completed(futures):
            yield futures[future], future.result()


def _run_dask(tasks: Sequence[ChunkTask], scheduler: str) -> Iterator[tuple[int, tuple[Any, Any]]]:
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise bad_value(
            "--engine", "dask", "installed dask.distributed (pip install 'evgrid[dask]')"
        ) from None
    try:
        client = Client(scheduler, timeout=30, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise bad_value("--scheduler", scheduler, f"a reachable Dask scheduler ({exc})") from None
    with client:
        futures = [client.submit(compute_chunk, task, pure=False) for task in tasks]
        index = {f.key: t.index for f, t in zip(futures, tasks, strict=True)}
        for future in as_completed(futures, loop=client.loop):
            yield index[future.key], future.result()


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
        Sites per chunk; default the parameter ``city_chunk_sites`` (time series, 100) or
        ``city_chunk_sites_index`` (2000).
    progress
        Called with (sites done, sites in total) as chunks complete.

    Raises
    ------
    InputError
        A bad table, option or output folder; a table with no valid row (after writing
        ``errors.csv``).
    """
    from evgrid.city.summary import assemble, write_errors

    if engine not in ENGINES:
        raise bad_value("--engine", engine, " or ".join(ENGINES))
    if engine == "dask" and not scheduler:
        raise bad_value("--scheduler", scheduler, "an address with --engine dask")
    if engine == "local" and scheduler:
        raise bad_value("--scheduler", scheduler, "only with --engine dask")
    Spec("workers", "-", "integer [1, inf)").check(workers, "--workers")
    default_size = (
        "city_chunk_sites" if settings.method == "timeseries" else "city_chunk_sites_index"
    )
    size = int(parameter(default_size).resolve(chunk_sites, "--chunk-sites"))
    sites_file, folder = Path(sites_path), Path(out)
    if folder.resolve() == sites_file.resolve() or sites_file.resolve().is_relative_to(
        folder.resolve() / CHUNKS
    ):
        raise bad_value("--out", str(folder), f"a folder other than the input {sites_file}")
    rows = read_sites(sites_file)
    _check_manifest(folder, _fingerprint(sites_file, settings, size))
    n_chunks = -(-len(rows.sites) // size)
    done = _finished(folder, n_chunks)
    total = len(rows.sites)
    finished_sites = sum(min(size, total - i * size) for i in done)
    if progress is not None:
        progress(finished_sites, total)
    tasks = list(_tasks(rows, settings, size, set(range(n_chunks)) - done))
    runs = _run_dask(tasks, scheduler or "") if engine == "dask" else _run_local(tasks, workers)
    for index, tables in runs:
        _write_chunk(folder, index, tables)
        finished_sites += tables[1].num_rows // max(len(settings.strategies), 1)
        if progress is not None:
            progress(finished_sites, total)
    if not rows.sites:  # nothing to assemble: the refused rows say why
        raise InputError(
            f"{sites_file}: no valid site row ({len(rows.errors)} refused, see "
            f"{write_errors(folder, rows)})"
        )
    summary = assemble(folder, n_chunks, rows, settings)
    return CityRun(folder, total, len(rows.errors), len(tasks), len(done), summary)


def write_table(path: Path, table: Any) -> None:
    """Write a pyarrow Table atomically as Parquet or CSV (by suffix)."""
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    def write(tmp: Path) -> None:
        if path.suffix == ".parquet":
            pq.write_table(table, tmp)
        else:
            pcsv.write_csv(table, tmp)

    write_atomic(path, write)

"""City runs: every site of a city through a scenario's years, resumable, local or on Dask.

* :func:`evgrid.city.run.run_city` — chunks of sites on local processes or a
  ``dask.distributed`` cluster; resumable after a kill; Parquet and CSV results;
* :func:`evgrid.city.sites.read_sites` — a site table (CSV, Excel, Parquet), bad rows reported;
* :func:`evgrid.city.synth.synth_city` — a synthetic city for demos, tests and benchmarks.

Layer: orchestration above :mod:`evgrid.planning`; the report layer draws its summary page.
"""

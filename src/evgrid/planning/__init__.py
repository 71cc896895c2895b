"""Planning: the hosting front door (:func:`evgrid.planning.hosting.hosting`), the index model,
the time-series tier (:mod:`evgrid.planning.timeseries`), the report's reproduction."""

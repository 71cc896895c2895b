"""Jobs: one request object per job, declared once for every face.

A request (:class:`~evgrid.jobs.fields.Request`) holds the options of one job with their units,
defaults from the parameter table and allowed values; its ``run()`` makes the job's one library
call and answers with an :class:`~evgrid.jobs.fields.Answer`, whose ``to_dict()`` is the JSON
envelope every face prints. The command line's options, the HTTP API's models and the web forms
are generated from the requests (``evgrid.cli.generate``, ``evgrid.web.forms``).

* :mod:`evgrid.jobs.hosting` -- :class:`HostingRequest` (``evgrid hosting``);
* :mod:`evgrid.jobs.charging` -- :class:`ScheduleRequest`, :class:`LoadRequest`,
  :class:`SampleRequest` (``evgrid schedule``, ``load``, ``sample``);
* :mod:`evgrid.jobs.reproduce` -- :class:`ReproduceRequest` (``evgrid reproduce``);
* :mod:`evgrid.jobs.city` -- :class:`CityRequest`, :class:`UpgradeRequest` (``evgrid city``,
  a site's upgrade timeline);
* :mod:`evgrid.jobs.incentives` -- :class:`IncentivesRequest` (``evgrid incentives``).
"""

from __future__ import annotations

from evgrid.jobs.fields import Answer, Option, Request, option

__all__ = ["Answer", "Option", "Request", "option"]

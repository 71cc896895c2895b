"""The live orderly-charging service: OCPP piles in, OpenADR signals in, charging profiles out.

A face of evgrid (like the command line): it uses the library -- the site, the planning tier's
regular load, the behaviour model, the scheduling strategies -- and the library never imports
it. Modules, one concept each:

* :mod:`~evgrid.service.settings` -- every default number and the validated options;
* :mod:`~evgrid.service.clock` -- wall, scaled and stepped (virtual) time;
* :mod:`~evgrid.service.store` -- SQLite: piles, transactions, the profile intent log, DR
  events, plans, alerts;
* :mod:`~evgrid.service.forecast` -- base-load forecast, meter correction, default sizing;
* :mod:`~evgrid.service.planner` -- valley filling over the plugged-in cars (one adapter call);
* :mod:`~evgrid.service.profiles` -- composite limits, rounding to 0 / 6-32 A, compression;
* :mod:`~evgrid.service.control` -- a planning round: request, plan, profiles, ordered push;
* :mod:`~evgrid.service.dispatcher` -- one queue per pile;
* :mod:`~evgrid.service.reconcile` -- bringing a (re)connected pile in line;
* :mod:`~evgrid.service.core` -- the service: state, events, safety defaults;
* :mod:`~evgrid.service.adapters` -- the pile-protocol and grid-signal interfaces;
* :mod:`~evgrid.service.ocpp16`, :mod:`~evgrid.service.ocpp201` -- OCPP adapters;
* :mod:`~evgrid.service.dr` -- the OpenADR 2.0b VEN;
* :mod:`~evgrid.service.gateway`, :mod:`~evgrid.service.security` -- listeners, keys, TLS;
* :mod:`~evgrid.service.status` -- the loopback status/metrics endpoint;
* :mod:`~evgrid.service.simpile`, :mod:`~evgrid.service.simulator`,
  :mod:`~evgrid.service.harness` -- simulated piles and cars, faults, one-process runs;
* :mod:`~evgrid.service.runner` -- running the service and the simulated community
  (the commands are in :mod:`evgrid.cli.service`).

Needs the ``service`` extra (``ocpp``, ``websockets``, ``openleadr``). See ``docs/service.md``.
"""

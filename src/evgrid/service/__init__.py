"""The live orderly-charging service: OCPP piles in, OpenADR signals in, charging profiles out.

A face of evgrid (like the command line): it uses the library -- the site, the planning tier's
regular load, the behaviour model, the scheduling strategies -- and the library never imports
it. Collaborators with small interfaces, wired by :class:`~evgrid.service.core.ChargingService`:

* :mod:`~evgrid.service.pilegate` -- :class:`PileGateway`: every pile message and owner's
  declaration, checked by :mod:`~evgrid.service.checks`, becomes state;
* :mod:`~evgrid.service.control` -- :class:`Planner`: a planning round (request, plan,
  profiles, ordered push); :mod:`~evgrid.service.planner` -- the plan itself (``evgrid.schedule``);
* :mod:`~evgrid.service.dispatcher` -- one queue per pile; refusing piles marked uncontrollable;
* :mod:`~evgrid.service.reconcile` -- :class:`Reconciler`; :mod:`~evgrid.service.defaults` --
  :class:`DefaultProfiles` (commissioning, idle hold, DR default);
* :mod:`~evgrid.service.store` -- SQLite: piles, transactions, the profile intent log, DR
  events, plans, alerts, the security event log, the authorisation list;
* :mod:`~evgrid.service.drclient` -- :class:`DemandResponse` (the events, the site's policy);
  :mod:`~evgrid.service.dr` -- the OpenADR 2.0b VEN;
* :mod:`~evgrid.service.operator` -- the operator's functions; :mod:`~evgrid.service.certificates`;
* :mod:`~evgrid.service.upstream` -- local-controller mode in front of the operator's CSMS;
* :mod:`~evgrid.service.adapters`, :mod:`~evgrid.service.ocpp16`,
  :mod:`~evgrid.service.ocpp201`, :mod:`~evgrid.service.ocppj` -- the pile protocol;
* :mod:`~evgrid.service.gateway`, :mod:`~evgrid.service.security`,
  :mod:`~evgrid.service.status` -- listeners, keys, TLS, the status and operator endpoint;
* :mod:`~evgrid.service.settings` (defaults from the parameter table), :mod:`~evgrid.service.clock`,
  :mod:`~evgrid.service.forecast`, :mod:`~evgrid.service.profiles`, :mod:`~evgrid.service.state`,
  :mod:`~evgrid.service.metrics`, :mod:`~evgrid.service.registry`;
* :mod:`~evgrid.service.runner` -- running the service (``evgrid service``).

The simulator, its harness and ``evgrid-sim`` are the separate package ``evgrid_sim``, which
this one never imports.

Needs the ``service`` extra (``ocpp``, ``websockets``, ``openleadr``). See ``docs/service.md``.
"""

"""Loopback integration run of ``evgrid service``: 200 piles over TLS, one night, with faults.

The service runs as its own process (``python -m evgrid service``) with a TLS listener
(OCPP security profile 2: TLS 1.2+ and a per-pile key) and an OpenADR 2.0b VEN; this script
runs the simulated community (``simulate-chargers``' engine) and an openleadr VTN in its own
process, on the same simulated clock (``--speed`` times wall time from a shared origin).

Faults: 10 % of piles offline for 90 min, the service killed (SIGKILL) at 02:00 and restarted on
the same store, 10 % of piles with a clock 150 s ahead, 10 % rejecting TxProfile, and a
demand-response cap on the site from 04:00 to 05:00 announced at 03:30.

Run::

    python benchmarks/bench_service.py [--piles 200] [--speed 120] [--hours 17] [--seed 11]
        [--meter-s 900] [--dr-cap 600]

The speed multiplies every pile's message rate too: at 120x and a meter value per pile every
15 simulated minutes, 200 piles send the service about 30 messages a second (a real community:
a quarter of one), so the figures are a stress test of one process on two cores.

Prints the figures that have targets (medians and 95th percentiles):

* event to all changed profiles acknowledged (wall time) -- target p95 <= 1 s;
* replan compute (planner run, and the whole round before the push) at the busiest plans --
  target <= 50 ms for 200 sessions;
* the transformer limit and the DR cap at every simulated minute -- never exceeded;
* delivered energy against the perfect-information optimum (LP) -- target >= 99 %;
* every pile reconciled after the restart -- target within 60 s (wall).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import ipaddress
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

TRIAL_SITE = """\
kind: residential
name: Trial community (the field trial's night)
households: 60
parking_spaces: 40
transformer_kva: 100
regular_peak_kw: 70
regular_valley_kw: 28
"""
SCENARIOS = {
    "loopback200": {
        "piles": 200,
        "site": "SITE",
        "faults": {
            "offline_share": 0.1,
            "offline_at_h": 8.5,
            "offline_for_h": 1.5,
            "skew_share": 0.1,
            "skew_s": 150.0,
            "reject_share": 0.1,
        },
        "declare_share": 1.0,
        "dr_cap_kw": 600.0,
    },
    # the field trial's night: one pile refusing every profile, one partitioned for two hours
    # (its messages queued with their own time stamps), one with a skewed clock, some owners who
    # declare nothing, a SIGKILL and restart at 02:00 and a DR cap from 04:00 to 05:00
    "trial": {
        "piles": 28,
        "site": "TRIAL_SITE",
        "faults": {
            "offline_share": 1 / 28,
            "offline_at_h": 6.0,
            "offline_for_h": 2.0,
            "skew_share": 1 / 28,
            "skew_s": 150.0,
            "refuse_share": 1 / 28,
        },
        "declare_share": 0.85,
        "dr_cap_kw": 55.0,
    },
}
"""Benchmark scenarios (``--scenario``)."""

SITE = """\
kind: residential
name: Benchmark community (report case A, section 3.2)
households: 810
parking_spaces: 324
transformer_kva: 1250
regular_peak_kw: 880
regular_valley_kw: 352
"""


ADMIN_TOKEN = "bench-operator-token-0123456789"


def make_pki(folder: Path) -> dict[str, Path]:
    """A test CA and a server certificate for 127.0.0.1/localhost (``cryptography``)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    def write(name: str, key: Any, cert: Any) -> tuple[Path, Path]:
        c, k = folder / f"{name}.crt", folder / f"{name}.key"
        c.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        k.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        return c, k

    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "bench CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    out = {"ca": write("ca", ca_key, ca)[0]}
    out["crt"], out["key"] = write("server", key, cert)
    return out


def planner_timing(sizes: tuple[int, ...] = (100, 200, 400), repeats: int = 15) -> None:
    """Median and p95 of one planner run (``make_plan``) on synthetic nights of N sessions."""
    import numpy as np

    from evgrid.service.planner import PlanRequest, make_plan

    rng = np.random.default_rng(1)
    origin = dt.datetime(2024, 6, 1, 15, 0, tzinfo=dt.UTC)  # 23:00 local
    now = origin + dt.timedelta(minutes=7)
    m = 64
    base = 352.0 + 300.0 * np.exp(-(((np.arange(m) - 60) / 10.0) ** 2))
    for n in sizes:
        req = PlanRequest(
            now=now,
            origin=origin,
            slot_s=900.0,
            keys=list(range(n)),
            departure=[origin + dt.timedelta(hours=float(h)) for h in rng.uniform(6, 16, n)],
            energy_kwh=rng.uniform(2, 30, n),
            max_a=np.where(rng.random(n) < 0.3, 15.0, 32.0),
            phases=np.ones(n),
            current_a=np.where(rng.random(n) < 0.5, 16.0, 0.0),
            base_kw=base + 25.0,
            committed_kw=np.zeros(m),
            limit_kw=np.full(m, 1000.0),
            volts=220.0,
        )
        make_plan(req)  # warm-up (loads the compiled kernels)
        times = []
        for _ in range(repeats):
            t = time.perf_counter()
            plan = make_plan(req)
            times.append(time.perf_counter() - t)
        print(
            f"  planner, {n} sessions x {m} slots ({plan.strategy}): median "
            f"{1e3 * q(times, 0.5):.1f} ms, p95 {1e3 * q(times, 0.95):.1f} ms"
        )


def round_timing(piles: int = 400, seed: int = 3) -> None:
    """Median and p95 of whole planning rounds (state to request, plan, profiles, choice of what
    to send) in one simulated night of the in-process harness (in-memory piles, virtual time)."""
    import numpy as np

    from evgrid.grid.site import parse_site
    from evgrid_sim.fleet import SimConfig
    from evgrid_sim.harness import run_night

    site = parse_site(
        {
            "kind": "residential",
            "name": "round timing",
            "households": int(2.5 * piles),
            "parking_spaces": piles,
            "transformer_kva": 6.25 * piles,
            "regular_peak_kw": 3.0 * piles,
            "regular_valley_kw": 1.25 * piles,
        }
    )
    start = dt.datetime(2024, 6, 1, 8, 0, tzinfo=dt.UTC)  # 16:00 local (UTC+8)
    res = asyncio.run(run_night(site, SimConfig(n_piles=piles, start=start, hours=17, seed=seed)))
    rounds = np.array(res.service.metrics.round_s)
    sessions = np.array([row["n_sessions"] for row in res.store.rows("plans")])
    busy = rounds[sessions >= 0.9 * sessions.max()]
    print(
        f"  whole round, {piles} piles, rounds with {int(0.9 * sessions.max())}-{sessions.max()} "
        f"sessions (n={busy.size}): median {1e3 * q(list(busy), 0.5):.1f} ms, "
        f"p95 {1e3 * q(list(busy), 0.95):.1f} ms"
    )


def q(values: list[float], p: float) -> float:
    """Quantile of a list (nan if empty)."""
    import numpy as np

    return float(np.quantile(values, p)) if values else float("nan")


async def main(args: argparse.Namespace) -> dict[str, Any]:
    import logging

    import openleadr

    from evgrid.grid.site import load_site
    from evgrid.params import default
    from evgrid.service.clock import ScaledClock, iso
    from evgrid.service.security import client_context, hash_key, new_key
    from evgrid.service.store import Store
    from evgrid_sim.fleet import Faults, SimConfig
    from evgrid_sim.harness import optimum_kwh
    from evgrid_sim.net import get_json, post_json, simulate

    logging.getLogger("openleadr").setLevel(logging.ERROR)
    scenario = SCENARIOS[args.scenario]
    if args.piles is None:
        args.piles = scenario["piles"]
    if args.dr_cap is None:
        args.dr_cap = scenario["dr_cap_kw"]
    work = Path(tempfile.mkdtemp(prefix="evgrid-bench-"))
    site_path = work / "site.yaml"
    site_path.write_text(globals()[scenario["site"]])
    site = load_site(site_path)
    pki = make_pki(work)
    db = work / "service.db"
    store = Store(db)
    keys = {f"P{i:04d}": new_key() for i in range(args.piles)}
    for pid, key in keys.items():
        store.register(pid, key_hash=hash_key(key), security_profile=2)
    store.close()
    tls_port, status_port, vtn_port = args.base_port, args.base_port + 1, args.base_port + 2
    start = dt.datetime(2024, 6, 1, 8, 0, tzinfo=dt.UTC)  # 16:00 local (UTC+8)
    t0 = time.time() + 3.0
    clock = ScaledClock(start, args.speed, t0)
    limit_kw = 0.8 * site.transformer_kva

    # the grid operator's VTN
    vtn = openleadr.OpenADRServer(
        vtn_id="VTN",
        http_host="127.0.0.1",
        http_port=vtn_port,
        requested_poll_freq=dt.timedelta(seconds=1),
    )

    async def on_registration(info: Any) -> tuple[str, str]:
        return "ven-bench", "reg-bench"

    async def on_register_report(*a: Any, **k: Any) -> None:
        return None

    vtn.add_handler("on_create_party_registration", on_registration)
    vtn.add_handler("on_register_report", on_register_report)
    await vtn.run_async()
    opts: list[str] = []

    def start_service(log_name: str) -> subprocess.Popen[bytes]:
        cmd = [
            sys.executable,
            "-m",
            "evgrid",
            "service",
            str(site_path),
            "--db",
            str(db),
            "--port",
            "0",
            "--tls-port",
            str(tls_port),
            "--cert",
            str(pki["crt"]),
            "--key",
            str(pki["key"]),
            "--status-port",
            str(status_port),
            "--vtn-url",
            f"http://127.0.0.1:{vtn_port}/OpenADR2/Simple/2.0b",
            "--ven-name",
            "ven-bench",
            "--admin-token",
            ADMIN_TOKEN,
            "--speed",
            str(args.speed),
            "--start",
            iso(start),
            "--t0",
            repr(t0),
        ]
        log = open(work / log_name, "wb")  # noqa: SIM115 - kept open for the process
        return subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)

    async def wait_status(url: str, timeout: float = 30.0) -> dict[str, Any]:
        end = time.time() + timeout
        while time.time() < end:
            try:
                return await get_json(url, timeout=2.0)
            except OSError:
                await asyncio.sleep(0.05)
        raise RuntimeError("service status endpoint did not come up")

    status_url = f"http://127.0.0.1:{status_port}"
    proc = start_service("service-1.log")
    await wait_status(f"{status_url}/status")
    figures: dict[str, Any] = {}
    restart_h, dr_h, dr_len_h = 10.0, 12.0, 1.0
    dr_cap_kw = args.dr_cap

    async def at(hours: float) -> None:
        await clock.sleep(max((start + dt.timedelta(hours=hours) - clock.now()).total_seconds(), 0))

    async def restart() -> None:
        nonlocal proc
        await at(restart_h)
        before = await get_json(f"{status_url}/status")
        figures["before_restart"] = before["metrics"]
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        t_kill = time.time()
        proc = start_service("service-2.log")
        await wait_status(f"{status_url}/status")
        expected = args.piles - round(0.1 * args.piles) if offline_during_restart else args.piles
        while True:
            doc = await get_json(f"{status_url}/status")
            if doc["reconciled"] >= expected:
                figures["reconciled_after_restart_s"] = time.time() - t_kill
                figures["reconciled_piles"] = doc["reconciled"]
                break
            if time.time() - t_kill > 120:
                figures["reconciled_after_restart_s"] = float("inf")
                figures["reconciled_piles"] = doc["reconciled"]
                break
            await asyncio.sleep(0.05)

    async def demand_response() -> None:
        # through the status endpoint's local signal adapter: openleadr's VTN and VEN judge an
        # event's status on wall time, so on a scaled clock an OpenADR event would be "completed"
        # before it starts (the OpenADR path itself is covered by tests/service/test_dr.py)
        await at(dr_h - 0.5)
        s = start + dt.timedelta(hours=dr_h)
        answer = await post_json(
            f"{status_url}/dr",
            {
                "event_id": "dr-1",
                "start": iso(s),
                "end": iso(s + dt.timedelta(hours=dr_len_h)),
                "cap_kw": dr_cap_kw,
            },
        )
        opts.append(str(answer.get("opt")))

    faults = Faults(**scenario["faults"])
    offline_during_restart = (
        faults.offline_at_h <= restart_h < faults.offline_at_h + faults.offline_for_h
    )
    sim = SimConfig(
        n_piles=args.piles,
        start=start,
        hours=args.hours,
        seed=args.seed,
        share_201=0.2,
        base_bias=0.02,
        base_noise=0.005,
        declare_share=scenario["declare_share"],
        faults=faults,
    )

    async def guarded(coro: Any) -> None:
        try:
            await coro
        except Exception as exc:  # report, do not lose the run
            figures.setdefault("errors", []).append(repr(exc))

    extra = [
        asyncio.ensure_future(guarded(restart())),
        asyncio.ensure_future(guarded(demand_response())),
    ]
    await clock.sleep(0.0)
    while clock.now() < start:
        await asyncio.sleep(0.01)
    wall0 = time.time()
    fleet = await simulate(
        site,
        sim,
        clock,
        f"wss://localhost:{tls_port}/ocpp",
        status_url=status_url,
        limit_kw=limit_kw,
        keys=keys,
        ssl_context=client_context(pki["ca"]),
    )
    figures["wall_s"] = time.time() - wall0
    for t in extra:
        if not t.done():
            t.cancel()
    after = await get_json(f"{status_url}/status")
    figures["after_restart"] = after["metrics"]
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=30)
    await vtn.stop()
    summary = fleet.summary()
    dr_start = start + dt.timedelta(hours=dr_h)
    dr_end = dr_start + dt.timedelta(hours=dr_len_h)
    in_dr = [m.total_kw for m in fleet.minutes if dr_start <= m.t < dr_end]
    margin = default("service_margin_pu") * site.transformer_kva
    best = optimum_kwh(
        fleet,
        limit_kw - margin,
        caps=[(dr_start, dr_end, dr_cap_kw)] if opts == ["optIn"] else None,
    )
    best_no_margin = optimum_kwh(fleet, limit_kw, caps=[(dr_start, dr_end, dr_cap_kw)])
    cars = []
    for i, (p, c) in enumerate(zip(fleet.piles, fleet.cars, strict=True)):
        if c is not None:
            cars.append(
                {
                    "pile": p.model.pile_id,
                    "protocol": p.protocol,
                    "offline": i in fleet.offline_set,
                    "skew_s": p.model.skew_s,
                    "rejects_tx": p.model.rejects_tx,
                    "refuses_all": p.model.refuses_all,
                    "declared": c.declare,
                    "arrival": iso(c.arrival),
                    "departure": iso(c.departure),
                    "asked_kwh": c.energy_kwh,
                    "delivered_kwh": c.delivered_kwh,
                    "max_kw": c.max_kw,
                    "pauses": c.pauses,
                }
            )
    figures["alerts"] = [dict(r) for r in Store(db).alerts()]
    figures["refusing"] = [p.model.pile_id for p in fleet.piles if p.model.refuses_all]
    figures["skewed"] = [p.model.pile_id for p in fleet.piles if p.model.skew_s]
    figures["partitioned"] = [fleet.piles[i].model.pile_id for i in sorted(fleet.offline_set)]
    plan_delays = [
        (p.model.first_plan_at - p.model.tx_started_at).total_seconds()
        for p in fleet.piles
        if p.model.first_plan_at is not None and p.model.tx_started_at is not None
    ]
    figures["plan_delay_s"] = plan_delays
    figures["no_plan"] = [
        p.model.pile_id
        for p, c in zip(fleet.piles, fleet.cars, strict=True)
        if c is not None and not p.model.refuses_all and p.model.first_plan_at is None
    ]
    figures.update(
        cars=cars,
        summary=summary,
        dr_opt=opts,
        dr_peak_kw=max(in_dr, default=float("nan")),
        optimum_kwh=best,
        optimum_no_margin_kwh=best_no_margin,
        work=str(work),
    )
    return figures


def report(f: dict[str, Any], args: argparse.Namespace) -> None:
    s = f["summary"]
    print(
        f"evgrid service loopback benchmark: {args.piles} piles over TLS (profile 2), "
        f"{args.hours:g} h at {args.speed:g}x ({f['wall_s']:.0f} s wall)"
    )
    # a run shorter than 10 h ends before the restart: its only service is the first one
    phases = [("before restart", f.get("before_restart")), ("after restart", f["after_restart"])]
    if phases[0][1] is None:
        phases = [("no restart", f["after_restart"])]
    for name, m in phases:
        e, w, pu = m["event_to_ack_s"], m["event_to_round_s"], m["push_s"]
        so, ro = m["solve_s_busiest"], m["round_s_busiest"]
        print(
            f"  {name}: {m['plans']} plans, {m['profiles_changed']} profiles sent; "
            f"event->acks p50 {e['p50']:.3f} s p95 {e['p95']:.3f} s max {e['max']:.3f} s "
            f"(n={e['n']}; event->round p50 {w['p50']:.3f} s p95 {w['p95']:.3f} s, "
            f"push->acks p50 {pu['p50']:.3f} s p95 {pu['p95']:.3f} s); "
            f"replan at {m['sessions_max']} sessions: planner p50 {so['p50'] * 1e3:.1f} ms "
            f"p95 {so['p95'] * 1e3:.1f} ms, round p50 {ro['p50'] * 1e3:.1f} ms "
            f"p95 {ro['p95'] * 1e3:.1f} ms; fallback plans {m['fallback_plans']}"
        )
    print(
        f"  limit {s['limit_kw']:.0f} kW: peak {s['peak_kw']:.1f} kW, minutes over limit "
        f"{s['violations']} of {s['minutes']} (worst excess {s['worst_excess_kw']:.2f} kW)"
    )
    print(
        f"  DR cap {args.dr_cap:.0f} kW 04:00-05:00: answer {f['dr_opt']}, "
        f"highest minute {f['dr_peak_kw']:.1f} kW"
    )
    print(
        f"  energy: asked {s['asked_kwh']:.1f} kWh by {s['cars']} cars, delivered "
        f"{s['delivered_kwh']:.1f} kWh = {100 * s['delivered_kwh'] / f['optimum_kwh']:.2f} % of "
        f"the perfect-information optimum {f['optimum_kwh']:.1f} kWh (same margin; "
        f"{f['optimum_no_margin_kwh']:.1f} kWh without it)"
    )
    print(
        f"  pauses per session: mean {s['pauses_mean']:.2f}, max {s['pauses_max']}; "
        f"refused connections {len(s['refused'])}"
    )
    kinds: dict[str, set[str]] = {}
    for a in f["alerts"]:
        kinds.setdefault(a["kind"], set()).add(a["charger"] or "-")
    delays = f["plan_delay_s"]
    print(
        f"  plan after plug-in (simulated s, / {args.speed:g} for wall): p50 {q(delays, 0.5):.1f},"
        f" p95 {q(delays, 0.95):.1f}, max {max(delays, default=float('nan')):.1f} over "
        f"{len(delays)} cars; cars without a "
        f"plan (refusing pile excluded): {len(f['no_plan'])}"
    )
    print(
        f"  alerts: uncontrollable {sorted(kinds.get('uncontrollable', []))} (refusing pile(s) "
        f"{f['refusing']}); clock-skew {sorted(kinds.get('clock-skew', []))} (skewed "
        f"{f['skewed']}; partitioned {f['partitioned'][:5]}); dr-opt-out "
        f"{len(kinds.get('dr-opt-out', []))}"
    )
    declared = [c for c in f["cars"] if c["declared"]]
    undeclared = [c for c in f["cars"] if not c["declared"]]
    for name, group in (("declared", declared), ("undeclared", undeclared)):
        if group:
            got = sum(c["delivered_kwh"] for c in group) / max(
                sum(c["asked_kwh"] for c in group), 1e-9
            )
            print(f"  {name} cars: {len(group)}, {100 * got:.1f} % of their energy delivered")
    if "reconciled_piles" in f:
        print(
            f"  restart at 02:00: {f['reconciled_piles']} piles reconciled "
            f"{f['reconciled_after_restart_s']:.2f} s after the kill"
        )
    if f.get("errors"):
        print(f"  errors: {f['errors']}")
    print(f"  logs and store: {f['work']}")


if __name__ == "__main__":
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", choices=sorted(SCENARIOS), default="loopback200")
    parser.add_argument("--piles", type=int, default=None)
    parser.add_argument("--speed", type=float, default=120.0)
    parser.add_argument(
        "--meter-s",
        type=float,
        default=900.0,
        help="meter-value interval of the simulated piles [simulated s]",
    )
    parser.add_argument("--hours", type=float, default=17.0)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--dr-cap", type=float, default=None, help="site cap of the DR event [kW]")
    parser.add_argument("--base-port", type=int, default=19443)
    parser.add_argument(
        "--planner-only",
        action="store_true",
        help="instead of the loopback run, time the planner on synthetic nights of 100-400 "
        "sessions, and whole rounds in the in-process harness",
    )
    a = parser.parse_args()
    if a.planner_only:
        print("evgrid service planner (one process, no network):")
        planner_timing()
        round_timing()
        sys.exit(0)
    figures = asyncio.run(main(a))
    report(figures, a)
    (Path(figures["work"]) / "figures.json").write_text(json.dumps(figures, indent=1, default=str))

"""Network files: evgrid's own document, power-grid-model's and pandapower's JSON, the IEEE
European LV test feeder, and the bundled names.

evgrid's network document (YAML or JSON, read by :func:`evgrid.io.parse_document`'s strict
rules)::

    name: my-area
    nominal_v: 380                 # optional: network_nominal_voltage_v
    source: {mv_kv: 10, sk_mva: 200, voltage_pu: 1.0}          # optional
    transformers:
      - {name: T1, bus: LV, rating_kva: 630}   # uk_pct, pk_w from GB/T 6451 unless given;
                                               # vector_group (Dyn11), tap_pos, secondary_v
    buses:
      - {name: LV}
      - {name: B1, households: 12, spaces: 5}  # households spread over a, b, c
      - {name: B2, households: [4, 4, 4], piles: [a, unknown, abc]}
    cables:
      - {from: LV, to: B1, type: YJLV22-4x150, length_m: 80}
      - {from: B1, to: B2, length_m: 30, r1_ohm_per_km: 0.2, x1_ohm_per_km: 0.08,
         r0_ohm_per_km: 0.8, x0_ohm_per_km: 0.32, ampacity_a: 200, closed: false}

power-grid-model's JSON input (``power_grid_model.utils.json_serialize``; format version 1.0):
nodes, lines, transformers, a source, symmetric and asymmetric loads; each load becomes one
household on the phases it loads (its snapshot power is not kept: evgrid drives the households
with its own load shape). pandapower's JSON network (``pandapower.to_json``): buses, lines,
transformers, an external grid and (asymmetric) loads, read without importing pandapower.

``ieee-eu-lv`` is the IEEE European Low Voltage Test Feeder (IEEE PES Distribution Systems
Analysis Subcommittee, 2015: 906 low-voltage buses, 55 single-phase customers, an 800 kVA 11/0.416
kV Dyn unit) as pandapower ships it (``pandapower/networks/IEEE_European_LV_Off_Peak_1.json``);
the file is read from the installed pandapower package, never copied into evgrid.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import numpy as np

from evgrid.errors import InputError, bad_value
from evgrid.io import finite_number, parse_document, read_bytes, read_document
from evgrid.network.cables import cable_type, unit_impedance
from evgrid.network.generator import generate_area
from evgrid.network.model import PHASES, THREE_PHASE, UNKNOWN_PHASE, Network, Unit
from evgrid.params import default

IEEE_EU_LV = "ieee-eu-lv"
"""Bundled name of the IEEE European LV test feeder (read from pandapower's data)."""

MAX_NETWORK_BYTES = 64 << 20
"""Largest network file [bytes] (the IEEE feeder in pandapower's JSON is 1.4 MB)."""

_PHASE_WORDS = {"a": 0, "b": 1, "c": 2, "unknown": UNKNOWN_PHASE, "abc": THREE_PHASE}


def bundled_names() -> tuple[str, ...]:
    """Every bundled network name (``data/network/areas.csv``: the IEEE feeder and the generated
    areas, :data:`~evgrid.network.generator.AREAS`)."""
    from evgrid.params import network_areas

    return tuple(network_areas())


def bundled(name: str) -> Network:
    """A bundled network by name (:func:`bundled_names`)."""
    if name == IEEE_EU_LV:
        return ieee_eu_lv()
    return generate_area(name)


def load_network(path: str | Path) -> Network:
    """Read a network file: evgrid's document (YAML/JSON), power-grid-model or pandapower JSON.

    Raises
    ------
    InputError
        An unreadable file or one line naming the field, the value and what is allowed.
    """
    p = Path(path)
    if p.suffix.lower() != ".json":
        return parse_network(read_document(p, "network document (YAML or JSON)"), str(p))
    raw = read_bytes(p, "network file (JSON)", max_bytes=MAX_NETWORK_BYTES)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise bad_value(str(p), "bytes that are not UTF-8", "UTF-8 JSON") from None
    doc = parse_document(text, str(p), json_format=True)
    if isinstance(doc, dict) and doc.get("_class") == "pandapowerNet":
        return from_pandapower(doc, str(p), name=p.stem)
    if isinstance(doc, dict) and "data" in doc and "type" in doc:
        return from_pgm(doc, str(p), name=p.stem)
    return parse_network(doc, str(p))


def _number(value: Any, where: str, allowed: str = "a finite number") -> float:
    return finite_number(value, where, allowed)


def _positive(value: Any, where: str, unit: str) -> float:
    x = _number(value, where, f"a number > 0 [{unit}]")
    if x <= 0:
        raise bad_value(where, value, f"a number > 0 [{unit}]")
    return x


def _whole(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise bad_value(where, value, "a whole number >= 0")
    return int(value)


def _mapping(value: Any, where: str, keys: set[str]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise bad_value(where, value, "a mapping")
    extra = sorted(set(value) - keys)
    if extra:
        raise bad_value(
            f"{where}: {extra[0]}", value[extra[0]], "one of " + ", ".join(sorted(keys))
        )
    return value


def parse_network(doc: Any, where: str) -> Network:
    """An evgrid network document (module docstring) as a :class:`Network`."""
    top = _mapping(doc, where, {"name", "nominal_v", "source", "transformers", "buses", "cables"})
    for key in ("transformers", "buses", "cables"):
        if not isinstance(top.get(key), list) or not top[key]:
            raise bad_value(f"{where}: {key}", top.get(key), "a non-empty list")
    name = str(top.get("name", Path(where).stem))
    nominal_v = _positive(
        top.get("nominal_v", default("network_nominal_voltage_v")), f"{where}: nominal_v", "V"
    )
    src = _mapping(
        top.get("source", {}), f"{where}: source", {"mv_kv", "sk_mva", "voltage_pu", "rx"}
    )
    mv_kv = _positive(
        src.get("mv_kv", default("network_mv_voltage_kv")), f"{where}: source: mv_kv", "kV"
    )
    sk = _positive(
        src.get("sk_mva", default("network_source_sk_mva")), f"{where}: source: sk_mva", "MVA"
    )
    vpu = _positive(
        src.get("voltage_pu", default("network_source_voltage_pu")),
        f"{where}: source: voltage_pu",
        "pu",
    )
    rx = _positive(src.get("rx", 0.1), f"{where}: source: rx", "-")
    names: list[str] = []
    households = []
    spaces = []
    pile_bus: list[int] = []
    pile_phase: list[int] = []
    for k, item in enumerate(top["buses"]):
        at = f"{where}: buses entry {k + 1}"
        bus = _mapping(item, at, {"name", "households", "spaces", "piles"})
        bname = bus.get("name")
        if not isinstance(bname, str | int) or str(bname) in names:
            raise bad_value(f"{at}: name", bname, "a name used once")
        names.append(str(bname))
        hh = bus.get("households", 0)
        if isinstance(hh, list):
            if len(hh) != 3:
                raise bad_value(f"{at}: households", hh, "a number or three numbers (a, b, c)")
            per = [_whole(v, f"{at}: households") for v in hh]
        else:
            n = _whole(hh, f"{at}: households")
            per = [n // 3 + (1 if j < n % 3 else 0) for j in range(3)]
        households.append(per)
        spaces.append(_whole(bus.get("spaces", sum(per)), f"{at}: spaces"))
        piles = bus.get("piles", [])
        if not isinstance(piles, list):
            raise bad_value(f"{at}: piles", piles, "a list of phases (a, b, c, abc, unknown)")
        for word in piles:
            if word not in _PHASE_WORDS:
                raise bad_value(f"{at}: piles", word, "a, b, c, abc or unknown")
            pile_bus.append(k)
            pile_phase.append(_PHASE_WORDS[word])
    index = {n: i for i, n in enumerate(names)}

    def bus_of(value: Any, at: str) -> int:
        if str(value) not in index:
            raise bad_value(at, value, "the name of a bus in buses")
        return index[str(value)]

    units = []
    for k, item in enumerate(top["transformers"]):
        at = f"{where}: transformers entry {k + 1}"
        t = _mapping(
            item,
            at,
            {
                "name",
                "bus",
                "rating_kva",
                "uk_pct",
                "pk_w",
                "vector_group",
                "tap_pos",
                "secondary_v",
                "primary_kv",
                "in_service",
            },
        )
        rating = _positive(t.get("rating_kva"), f"{at}: rating_kva", "kVA")
        uk, pk = unit_impedance(rating)
        group = t.get("vector_group", "Dyn11")
        if group not in ("Dyn11", "Dyn1", "Dyn5", "Yyn0"):
            raise bad_value(f"{at}: vector_group", group, "Dyn11, Dyn1, Dyn5 or Yyn0")
        tap = t.get("tap_pos", 0)
        if isinstance(tap, bool) or not isinstance(tap, int) or not -2 <= tap <= 2:
            raise bad_value(f"{at}: tap_pos", tap, "a whole number in [-2, 2]")
        units.append(
            Unit(
                name=str(t.get("name", f"T{k + 1}")),
                bus=bus_of(t.get("bus"), f"{at}: bus"),
                rating_kva=rating,
                uk_pct=_positive(t.get("uk_pct", uk), f"{at}: uk_pct", "%"),
                pk_w=_number(t.get("pk_w", pk), f"{at}: pk_w"),
                vector_group=group,
                primary_kv=_positive(t.get("primary_kv", mv_kv), f"{at}: primary_kv", "kV"),
                secondary_v=_positive(
                    t.get("secondary_v", default("network_transformer_secondary_v")),
                    f"{at}: secondary_v",
                    "V",
                ),
                tap_pos=tap,
                in_service=bool(t.get("in_service", True)),
            )
        )
    cols: dict[str, list[Any]] = {
        k: [] for k in ("from", "to", "type", "len", "r1", "x1", "r0", "x0", "amp", "closed")
    }
    custom = {"r1_ohm_per_km", "x1_ohm_per_km", "r0_ohm_per_km", "x0_ohm_per_km", "ampacity_a"}
    for k, item in enumerate(top["cables"]):
        at = f"{where}: cables entry {k + 1}"
        c = _mapping(item, at, {"from", "to", "type", "length_m", "closed"} | custom)
        length = _positive(c.get("length_m"), f"{at}: length_m", "m")
        if "type" in c:
            if custom & set(c):
                raise bad_value(at, sorted(custom & set(c))[0], "either type or its impedances")
            ct = cable_type(str(c["type"]))
            r1, x1, r0, x0 = ct.r1_ohm_per_km, ct.x1_ohm_per_km, ct.r0_ohm_per_km, ct.x0_ohm_per_km
            amp, kind = ct.derated_a(), ct.name
        else:
            r1, x1, r0, x0 = (
                _positive(c.get(f), f"{at}: {f}", "ohm/km")
                for f in ("r1_ohm_per_km", "x1_ohm_per_km", "r0_ohm_per_km", "x0_ohm_per_km")
            )
            amp, kind = _positive(c.get("ampacity_a"), f"{at}: ampacity_a", "A"), "custom"
        closed = c.get("closed", True)
        if not isinstance(closed, bool):
            raise bad_value(f"{at}: closed", closed, "true or false")
        km = length / 1000.0
        for key, v in (
            ("from", bus_of(c.get("from"), f"{at}: from")),
            ("to", bus_of(c.get("to"), f"{at}: to")),
            ("type", kind),
            ("len", length),
            ("r1", r1 * km),
            ("x1", x1 * km),
            ("r0", r0 * km),
            ("x0", x0 * km),
            ("amp", amp),
            ("closed", closed),
        ):
            cols[key].append(v)
    try:
        return Network(
            name=name,
            nominal_v=nominal_v,
            mv_kv=mv_kv,
            source_sk_mva=sk,
            source_voltage_pu=vpu,
            source_rx=rx,
            units=tuple(units),
            bus_names=tuple(names),
            from_bus=np.array(cols["from"]),
            to_bus=np.array(cols["to"]),
            cable_type=tuple(cols["type"]),
            length_m=np.array(cols["len"]),
            r1_ohm=np.array(cols["r1"]),
            x1_ohm=np.array(cols["x1"]),
            r0_ohm=np.array(cols["r0"]),
            x0_ohm=np.array(cols["x0"]),
            ampacity_a=np.array(cols["amp"]),
            closed=np.array(cols["closed"]),
            households=np.array(households),
            pile_bus=np.array(pile_bus, np.int64),
            pile_phase=np.array(pile_phase, np.int64),
            pile_kw=np.full(len(pile_bus), float(default("network_pile_power_kw"))),
            spaces=np.array(spaces),
        )
    except InputError as exc:
        raise InputError(f"{where}: {exc}") from None


def to_document(net: Network) -> dict[str, Any]:
    """A network as evgrid's document (the inverse of :func:`parse_network`; custom impedances
    written out for every cable)."""
    words = {v: k for k, v in _PHASE_WORDS.items()}
    buses = []
    for b, name in enumerate(net.bus_names):
        entry: dict[str, Any] = {
            "name": name,
            "households": [int(x) for x in net.households[b]],
            "spaces": int(np.asarray(net.spaces)[b]),
        }
        piles = [words[int(p)] for p in net.pile_phase[net.pile_bus == b]]
        if piles:
            entry["piles"] = piles
        buses.append(entry)
    km = net.length_m / 1000.0
    cables = [
        {
            "from": net.bus_names[int(a)],
            "to": net.bus_names[int(b)],
            "length_m": float(net.length_m[k]),
            "r1_ohm_per_km": float(net.r1_ohm[k] / km[k]),
            "x1_ohm_per_km": float(net.x1_ohm[k] / km[k]),
            "r0_ohm_per_km": float(net.r0_ohm[k] / km[k]),
            "x0_ohm_per_km": float(net.x0_ohm[k] / km[k]),
            "ampacity_a": float(net.ampacity_a[k]),
            "closed": bool(net.closed[k]),
        }
        for k, (a, b) in enumerate(zip(net.from_bus, net.to_bus, strict=True))
    ]
    units = [
        {
            "name": u.name,
            "bus": net.bus_names[u.bus],
            "rating_kva": u.rating_kva,
            "uk_pct": u.uk_pct,
            "pk_w": u.pk_w,
            "vector_group": u.vector_group,
            "tap_pos": u.tap_pos,
            "secondary_v": u.secondary_v,
            "primary_kv": u.primary_kv,
            "in_service": u.in_service,
        }
        for u in net.units
    ]
    return {
        "name": net.name,
        "nominal_v": net.nominal_v,
        "source": {
            "mv_kv": net.mv_kv,
            "sk_mva": net.source_sk_mva,
            "voltage_pu": net.source_voltage_pu,
            "rx": net.source_rx,
        },
        "transformers": units,
        "buses": buses,
        "cables": cables,
    }


# -- pandapower -------------------------------------------------------------------------------


def _frame(doc: dict[str, Any], table: str, where: str) -> dict[str, list[Any]]:
    """A pandapower table (a DataFrame stored as split-oriented JSON text) as columns."""
    obj = doc.get("_object", {}).get(table)
    if obj is None:
        return {}
    inner = obj.get("_object") if isinstance(obj, dict) else None
    if not isinstance(inner, str):
        raise bad_value(f"{where}: {table}", type(inner).__name__, "a pandapower DataFrame")
    data = parse_document(inner, f"{where}: {table}", json_format=True)
    columns, rows, index = data["columns"], data["data"], data["index"]
    out = {c: [r[k] for r in rows] for k, c in enumerate(columns)}
    out["index"] = list(index)
    return out


def from_pandapower(doc: dict[str, Any], where: str, *, name: str = "pandapower") -> Network:
    """A pandapower JSON network (read without pandapower): buses, lines, one or more
    two-winding transformers, the external grid, loads and asymmetric loads (each one household
    on the phases it loads)."""
    bus = _frame(doc, "bus", where)
    line = _frame(doc, "line", where)
    trafo = _frame(doc, "trafo", where)
    ext = _frame(doc, "ext_grid", where)
    if not bus or not trafo or not ext:
        raise bad_value(
            where,
            "a pandapower network without buses, transformers or grid",
            "a low-voltage network fed by a transformer",
        )
    index = {int(b): k for k, b in enumerate(bus["index"])}
    hv = {index[int(b)] for b in trafo["hv_bus"]}
    lv_ids = [k for k in range(len(bus["index"])) if k not in hv]
    local = {k: j for j, k in enumerate(lv_ids)}
    names = tuple(
        str(bus["name"][k]) if bus["name"][k] not in (None, "") else f"bus{bus['index'][k]}"
        for k in lv_ids
    )
    vn = float(bus["vn_kv"][lv_ids[0]]) * 1e3
    units = []
    for k in range(len(trafo["index"])):
        vk, vkr = float(trafo["vk_percent"][k]), float(trafo["vkr_percent"][k])
        sn = float(trafo["sn_mva"][k]) * 1e3
        group = str(trafo.get("vector_group", ["Dyn"] * (k + 1))[k] or "Dyn")
        units.append(
            Unit(
                name=str(trafo["name"][k] or f"T{k + 1}"),
                bus=local[index[int(trafo["lv_bus"][k])]],
                rating_kva=sn,
                uk_pct=vk,
                pk_w=vkr / 100.0 * sn * 1e3,
                vector_group="Dyn11" if group.lower().startswith("d") else "Yyn0",
                primary_kv=float(trafo["vn_hv_kv"][k]),
                secondary_v=float(trafo["vn_lv_kv"][k]) * 1e3,
                tap_pos=int(trafo["tap_pos"][k] or 0) - int(trafo["tap_neutral"][k] or 0),
                tap_step_pct=float(trafo["tap_step_percent"][k] or 2.5),
                in_service=bool(trafo["in_service"][k]),
            )
        )
    mv_kv = float(bus["vn_kv"][index[int(ext["bus"][0])]])
    length = np.array(line["length_km"], float)
    par = np.array(line.get("parallel", [1] * len(length)), float)

    def col(n: str) -> np.ndarray:
        return np.array(line[n], float) * length / par

    households = np.zeros((len(lv_ids), 3), np.int64)
    for table in ("asymmetric_load", "load"):
        ld = _frame(doc, table, where)
        for k in range(len(ld.get("index", []))):
            b = local[index[int(ld["bus"][k])]]
            if table == "load":
                households[b] += 1  # a balanced load: one household on each phase
                continue
            p = [float(ld[f"p_{x}_mw"][k] or 0.0) for x in PHASES]
            phases = [j for j in range(3) if p[j] > 0] or [int(np.argmax(p))]
            for j in phases:
                households[b, j] += 1
    sk = float(ext.get("s_sc_max_mva", [1e4])[0] or 1e4)
    rx = float(ext.get("rx_max", [0.1])[0] or 0.1)
    return Network(
        name=name,
        nominal_v=vn,
        mv_kv=mv_kv,
        source_sk_mva=sk,
        source_voltage_pu=float(ext["vm_pu"][0]),
        source_rx=rx,
        units=tuple(units),
        bus_names=names,
        from_bus=np.array([local[index[int(b)]] for b in line["from_bus"]]),
        to_bus=np.array([local[index[int(b)]] for b in line["to_bus"]]),
        cable_type=tuple(str(t) for t in line["std_type"]),
        length_m=length * 1000.0,
        r1_ohm=col("r_ohm_per_km"),
        x1_ohm=col("x_ohm_per_km"),
        r0_ohm=col("r0_ohm_per_km"),
        x0_ohm=col("x0_ohm_per_km"),
        ampacity_a=np.array(line["max_i_ka"], float) * 1e3 * par,
        closed=np.array(line["in_service"], bool),
        households=households,
    )


def pandapower_data_file(name: str) -> Path:
    """A data file of the installed pandapower package (found without importing it)."""
    spec = importlib.util.find_spec("pandapower")
    if spec is None or not spec.submodule_search_locations:
        raise InputError(
            f"network {IEEE_EU_LV}: needs the pandapower package, which ships the IEEE European "
            "LV test feeder's data (pip install pandapower)"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "networks" / name


def ieee_eu_lv() -> Network:
    """The IEEE European LV test feeder from pandapower's data (module docstring)."""
    path = pandapower_data_file("IEEE_European_LV_Off_Peak_1.json")
    raw = read_bytes(path, "pandapower network (JSON)", max_bytes=MAX_NETWORK_BYTES)
    doc = parse_document(raw.decode("utf-8"), str(path), json_format=True)
    return from_pandapower(doc, str(path), name=IEEE_EU_LV)


# -- power-grid-model -------------------------------------------------------------------------


def from_pgm(doc: dict[str, Any], where: str, *, name: str = "pgm") -> Network:
    """power-grid-model's JSON input (format version 1.0, single dataset) as a :class:`Network`.

    The source node is the medium-voltage side; every node below the transformers is a bus.
    """
    data = doc.get("data")
    if doc.get("type") != "input" or doc.get("is_batch", False) or not isinstance(data, dict):
        raise bad_value(
            f"{where}: type", doc.get("type"), "a single power-grid-model input dataset"
        )
    attrs = doc.get("attributes", {}) or {}

    def rows(comp: str) -> list[dict[str, Any]]:
        items = data.get(comp, [])
        if comp in attrs:  # compact form: lists of values in the order of the attributes
            return [dict(zip(attrs[comp], r, strict=False)) for r in items]
        return list(items)

    nodes, lines, trafos = rows("node"), rows("line"), rows("transformer")
    sources = rows("source")
    if not nodes or not trafos or not sources:
        raise bad_value(
            where, "no nodes, transformers or source", "a low-voltage network fed by a transformer"
        )
    src_node = int(sources[0]["node"])
    lv = [n for n in nodes if int(n["id"]) != src_node]
    local = {int(n["id"]): k for k, n in enumerate(lv)}
    u_rated = {int(n["id"]): float(n["u_rated"]) for n in nodes}
    units = []
    for k, t in enumerate(trafos):
        sn = float(t["sn"])
        units.append(
            Unit(
                name=f"T{t['id']}",
                bus=local[int(t["to_node"])],
                rating_kva=sn / 1e3,
                uk_pct=float(t["uk"]) * 100.0,
                pk_w=float(t.get("pk", 0.0)),
                vector_group="Dyn11" if int(t.get("winding_from", 2)) == 2 else "Yyn0",
                primary_kv=float(t["u1"]) / 1e3,
                secondary_v=float(t["u2"]),
                tap_pos=int(t.get("tap_pos", 0)) - int(t.get("tap_nom", 0)),
                tap_step_pct=float(t.get("tap_size", 0.025 * float(t["u1"])))
                / float(t["u1"])
                * 100.0,
            )
        )
        del k
    households = np.zeros((len(lv), 3), np.int64)
    for ld in rows("asym_load"):
        p = ld.get("p_specified", [0, 0, 0])
        phases = [j for j in range(3) if float(p[j]) > 0] or [0]
        for j in phases:
            households[local[int(ld["node"])], j] += 1
    for ld in rows("sym_load"):
        households[local[int(ld["node"])]] += 1
    r1 = np.array([float(x["r1"]) for x in lines])
    return Network(
        name=name,
        nominal_v=u_rated[int(lv[0]["id"])],
        mv_kv=u_rated[src_node] / 1e3,
        source_sk_mva=float(sources[0].get("sk", 1e10)) / 1e6,
        source_voltage_pu=float(sources[0].get("u_ref", 1.0)),
        source_rx=float(sources[0].get("rx_ratio", 0.1)),
        units=tuple(units),
        bus_names=tuple(str(n["id"]) for n in lv),
        from_bus=np.array([local[int(x["from_node"])] for x in lines], np.int64),
        to_bus=np.array([local[int(x["to_node"])] for x in lines], np.int64),
        cable_type=tuple("custom" for _ in lines),
        length_m=np.ones(len(lines)),
        r1_ohm=r1,
        x1_ohm=np.array([float(x["x1"]) for x in lines]),
        r0_ohm=np.array([float(x.get("r0", 4 * float(x["r1"]))) for x in lines]),
        x0_ohm=np.array([float(x.get("x0", 4 * float(x["x1"]))) for x in lines]),
        ampacity_a=np.array([float(x.get("i_n", 1e3)) for x in lines]),
        closed=np.array(
            [bool(int(x.get("from_status", 1)) and int(x.get("to_status", 1))) for x in lines]
        ),
        households=households,
    )

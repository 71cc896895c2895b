"""Every word a user sees has both languages: the catalogues are walked for missing keys."""

from __future__ import annotations

import pytest

from evgrid.jobs.__main__ import requests
from evgrid.params import site_fields
from evgrid.report import city, city_modes, flows, incentives, network, tables
from evgrid.report.labels import LABELS, WORDS
from evgrid.web.labels import CHOICE_LABELS, FIELD_LABELS, WEB

CATALOGUES = {
    "report": LABELS,
    "city": city.CITY_LABELS,
    "incentives": incentives.LABELS,
    "flows": flows.LABELS,
    "city modes": city_modes.LABELS,
    "network": network.NETWORK_LABELS,
    "web": WEB,
}


@pytest.mark.parametrize("name", sorted(CATALOGUES))
def test_each_catalogue_has_every_key_in_both_languages(name: str) -> None:
    en, zh = CATALOGUES[name]["en"], CATALOGUES[name]["zh"]
    assert set(en) == set(zh), f"{name}: only en {set(en) - set(zh)}, only zh {set(zh) - set(en)}"
    assert all(str(v).strip() for v in zh.values()), f"{name}: an empty Chinese label"


def test_every_site_field_and_choice_has_a_label_in_both_languages() -> None:
    for field in site_fields():
        assert {"en", "zh"} <= set(FIELD_LABELS.get(field, {})), field
    for value, labels in CHOICE_LABELS.items():
        assert {"en", "zh"} <= set(labels), value


def test_every_domain_word_shown_in_tables_is_translated() -> None:
    from evgrid.charging.strategies import strategy_names
    from evgrid.planning.scenarios import TYPES

    shown = [
        *strategy_names(),
        "orderly",
        "partial",
        *TYPES,
        "office",
        "index",
        "timeseries",
        "loading",
        "hotspot",
        "ageing",
        "measured",
        "measured curve",
        "planning index",
        "planning index (filling up)",
    ]
    missing = [w for w in shown if w not in WORDS["zh"]]
    assert not missing, missing


def test_every_form_option_has_a_chinese_label() -> None:
    for kind, cls in requests().items():
        for opt in cls.options():  # type: ignore[attr-defined]
            if "form" in opt.faces and not opt.file:
                assert opt.zh, f"{kind}.{opt.name}: no zh label"


def test_money_flows_and_city_modes_are_worded_in_chinese() -> None:
    from evgrid.incentives.flows import PARTIES

    for party in PARTIES:  # every party and payment the flows name has both words
        assert {f"party_{party}"} <= set(flows.LABELS["zh"]) & set(flows.LABELS["en"])
    whats = ("charging_bill", "carbon_credits", "dr_payment", "dr_owners", "v2g_discharge",
             "v2g_extra_charging", "v2g_owners")  # fmt: skip
    assert all(f"what_{w}" in flows.LABELS["zh"] for w in whats)
    for mode in ("fixed", "shared", "public", "unserved", "own-unit", "community", "10kv"):
        assert mode in WORDS["zh"], mode


def test_quantities_of_the_comparison_table_in_both_languages() -> None:
    for key, labels in tables.QUANTITY.items():
        assert {"en", "zh"} <= set(labels), key

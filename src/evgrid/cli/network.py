"""``evgrid network NETWORK``: a low-voltage area's three-phase power flow, limits and hosting.

The options are :class:`evgrid.jobs.network.NetworkRequest`'s.
"""

from __future__ import annotations

from pathlib import Path

from evgrid.cli.app import command
from evgrid.cli.common import check_out_dir, print_answer, spinner
from evgrid.cli.generate import JSON_PARAM, LANG_PARAM, face_param, request_command
from evgrid.jobs.network import NetworkRequest

OUT_PARAM = face_param(
    "out", None, "--out", "Write an HTML report (with the one-line diagram) to this directory."
)


def render(request: NetworkRequest, *, as_json: bool, out: Path | None, lang: str) -> None:
    """Run the study (a spinner on a terminal), write its report, show it."""
    if out is not None:
        check_out_dir(out)
    with spinner(f"network {request.network}: power flow and hosting"):
        answer = request.run()
    print_answer(answer, as_json=as_json, out=out, lang=lang)


command("network")(request_command(NetworkRequest, render, JSON_PARAM, OUT_PARAM, LANG_PARAM))

"""``evgrid hosting SITE``: how many charging piles a site's transformer can host.

The options are :class:`evgrid.jobs.hosting.HostingRequest`'s; this module only checks the
output folder, runs the request and shows its answer.
"""

from __future__ import annotations

from pathlib import Path

from evgrid.cli.app import command
from evgrid.cli.common import check_out_dir, print_answer, spinner
from evgrid.cli.generate import JSON_PARAM, LANG_PARAM, face_param, request_command
from evgrid.jobs.hosting import HostingRequest

OUT_PARAM = face_param("out", None, "--out", "Write an HTML report to this directory.")


def render(request: HostingRequest, *, as_json: bool, out: Path | None, lang: str) -> None:
    """Run the request; write the HTML report, then print the JSON envelope or the tables."""
    if out is not None:
        check_out_dir(out)
    if request.method == "timeseries":
        with spinner(f"{request.site.name}: {request.strategy or 'uncontrolled'}, Monte Carlo"):
            answer = request.run()
    else:
        answer = request.run()
    print_answer(answer, as_json=as_json, out=out, lang=lang)


command("hosting")(request_command(HostingRequest, render, JSON_PARAM, OUT_PARAM, LANG_PARAM))

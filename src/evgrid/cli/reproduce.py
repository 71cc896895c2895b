"""``evgrid reproduce``: the report's case studies, evgrid beside the report, and an HTML report.

The options are :class:`evgrid.jobs.reproduce.ReproduceRequest`'s.
"""

from __future__ import annotations

from pathlib import Path

from evgrid.cli.app import command
from evgrid.cli.common import check_out_dir, print_answer, spinner
from evgrid.cli.generate import JSON_PARAM, LANG_PARAM, face_param, request_command
from evgrid.jobs.reproduce import ReproduceRequest

OUT_PARAM = face_param("out", Path("evgrid-report"), "--out", "Directory of the HTML report.")


def render(request: ReproduceRequest, *, out: Path, as_json: bool, lang: str) -> None:
    """Run the reproduction (a spinner on a terminal), write its report, show it."""
    check_out_dir(out)
    with spinner("reproducing the report") as status:
        answer = request.run(lambda done, total, text: status.update(f"{text} ({done}/{total})"))
    print_answer(answer, as_json=as_json, out=out, lang=lang)


command("reproduce")(request_command(ReproduceRequest, render, OUT_PARAM, JSON_PARAM, LANG_PARAM))

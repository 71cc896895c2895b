"""The one-line diagram: one trace per cable, buses coloured by their lowest voltage."""

from __future__ import annotations

import numpy as np

from evgrid.network.diagram import LOADING_SCALE, one_line_figure
from evgrid.network.generator import generate_area
from evgrid.network.powerflow import LoadPoints
from evgrid.network.screening import StepLoads, screen


def test_figure_colours_follow_the_extremes() -> None:
    net = generate_area("cn-feeder-4x25")
    plain = one_line_figure(net)
    assert len(plain.data) == net.n_cable + 2
    loads = StepLoads(LoadPoints.of(net), np.array([1.3]), np.full((1, net.n_pile), 7.0))
    ext = screen(net, loads, verify=False)
    fig = one_line_figure(net, ext, title="t")
    colours = [tr.line.color for tr in fig.data[: net.n_cable]]
    hot = int(np.argmax(ext.cable_loading_pu.max(axis=1)))
    assert colours[hot] == LOADING_SCALE[-1][1]  # the most loaded cable is red
    buses = fig.data[net.n_cable]
    np.testing.assert_allclose(buses.marker.color, ext.vmin_pu.min(axis=1))

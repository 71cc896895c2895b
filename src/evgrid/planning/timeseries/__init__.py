"""The time-series hosting tier: Monte Carlo days of sampled sessions against the transformer.

``run`` (entry points), ``engine`` (prefix sums, closed-form minimum peak, bisection), ``blocks``
(independent day blocks), ``minpeak`` (optimal daily peak per pile ratio), ``montecarlo``
(kernels), ``curves`` (daily curves at the limit).
"""

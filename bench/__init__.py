"""Gridcare's benchmarks: `python -m bench` (city size, a few minutes), `--size country` for the big one.

Figures are medians of repeated runs; ratios are taken between runs measured side by side in the
same process and the same repeat, because the machine is shared and noisy. Results go in
BENCHMARKS.md; benchmarks never assert timings (the smoke test only checks that the code runs).
"""

"""Benchmarks of the plan client and the bot, each figure a ratio to a floor from the same run.

`python -m bench` runs every figure and writes docs/benchmarks.md and
bench/results.json; `python -m bench --quick` is the smoke version CI runs.
Nothing here ships: the seed-style baseline client lives here on purpose.
"""

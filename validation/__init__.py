"""Validation suite: every bayesmi method (and the peers) on a panel of distributions with
known MI; bias, RMSE, coverage of the 50/90/95% intervals and run time.

``python -m validation run --size small`` writes ``results.csv``, ``summary.csv``,
``meta.json`` and the figures; ``docs/validation.md`` shows a measured run.
"""

"""The application: command line (`reconcile.cli`) and the stage functions the flow calls."""

import pandas as pd

import parallel

# Python-backed strings: pyarrow-backed ones take slow per-element paths in the operations a
# run leans on (isin, map over IDs and names): measured 8x slower for isin at city scale.
pd.set_option("mode.string_storage", "python")

# Reference cycles collected after 50,000 new objects, not CPython's 700 (parallel.GC_THRESHOLDS:
# ~10 % of a province run's work went to the collector); the pool's workers and Dask's partitions
# take it from here with the string storage (parallel.worker_options).
parallel.collect_less()

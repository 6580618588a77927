"""The application: command line (`reconcile.cli`) and the stage functions the flow calls."""

import pandas as pd

# Python-backed strings: pyarrow-backed ones take slow per-element paths in the operations a
# run leans on (isin, map over IDs and names): measured 8x slower for isin at city scale.
pd.set_option("mode.string_storage", "python")

"""python -m synth --scale small|city|province --seed N --out DIR [--clean]"""

import argparse
import time
from pathlib import Path

from . import generate


def main() -> None:
    ap = argparse.ArgumentParser(prog="python -m synth", description=__doc__)
    ap.add_argument("--scale", default="small", choices=["small", "city", "province"])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--clean", action="store_true")
    a = ap.parse_args()
    t = time.perf_counter()
    meta = generate(a.out, scale=a.scale, seed=a.seed, clean=a.clean)
    c = meta["counts"]
    print(f"{a.scale}: {c['residents']} residents, {c['eligible']} eligible, {c['rows']} rows, "
          f"{c['household_files']} household files in {time.perf_counter() - t:.1f} s")


if __name__ == "__main__":
    main()

import sys

from reconcile.cli import main

if __name__ == "__main__":   # a spawned child (intake.guard) imports this module: it must not run
    sys.exit(main())

from reconcile.cli import entry

if __name__ == "__main__":   # a spawned child (intake.guard) imports this module: it must not run
    entry()

import multiprocessing
import sys

from studylog.cli import main

if __name__ == "__main__":
    # The GUI runs the core in a spawned child process; frozen builds need this first.
    multiprocessing.freeze_support()
    sys.exit(main())

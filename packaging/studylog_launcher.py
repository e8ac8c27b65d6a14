"""Entry point of the frozen app: the `studylog` console script, as PyInstaller's main script.

`freeze_support` lets a frozen child process started with multiprocessing's "spawn" run its
task instead of starting the app again (a library may spawn one; the app itself does not).
"""

import multiprocessing
import sys

from studylog.cli import main

if __name__ == "__main__":
    multiprocessing.freeze_support()
    sys.exit(main())

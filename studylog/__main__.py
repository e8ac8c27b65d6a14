import sys

from studylog.cli import main

sys.exit(main())

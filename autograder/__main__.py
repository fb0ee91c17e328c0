"""``python -m autograder`` is ``mlpkit``."""
import sys

from autograder.cli import main

sys.exit(main())

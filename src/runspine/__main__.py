"""``python -m runspine`` runs the command line."""

import sys

from runspine.cli import main

sys.exit(main())

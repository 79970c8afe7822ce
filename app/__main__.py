"""``python -m app`` runs the same command line as ``nadir``."""

import sys

from app.cli import main

sys.exit(main())

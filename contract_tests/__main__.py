"""``python -m contract_tests``: the same as ``eigen-mock check``."""

from __future__ import annotations

import sys

from .cli import main

sys.exit(main())

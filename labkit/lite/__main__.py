"""python -m labkit.lite: what `./lab lite` runs."""

import sys

from labkit.lite.command import main

sys.exit(main())

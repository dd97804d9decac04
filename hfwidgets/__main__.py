import sys

from hfwidgets.cli import main

sys.exit(main())

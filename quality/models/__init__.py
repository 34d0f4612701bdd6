# Traceability models live in trace.py, charter/penalty models in charter.py.
from .charter import *  # noqa: F401,F403
from .reconcile import *  # noqa: F401,F403
from .trace import *  # noqa: F401,F403

"""``python -m runspine`` runs the command line."""

import signal
import sys


def _early(signum, frame):
    """SIGTERM before :func:`runspine.cli.main` takes over: stop like Ctrl-C does."""
    _early.received = signum
    raise KeyboardInterrupt


_early.runspine_early = True  # main() replaces it with its own handler
_early.received = signal.SIGINT
if signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None):
    signal.signal(signal.SIGTERM, _early)
try:
    from runspine.cli import main
except KeyboardInterrupt:  # interrupted while importing: nothing has started yet
    print("runspine: error: interrupted; previous reports are intact, the next run resumes",
          file=sys.stderr)
    sys.exit(128 + _early.received)

sys.exit(main())

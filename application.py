"""The WSGI entry point that Elastic Beanstalk and gunicorn load as application:application."""

import sys

from tictactoe import create_app
from tictactoe.config import ConfigError

# gunicorn's Arbiter.WORKER_BOOT_ERROR. A worker that exits with any other status (a plain
# SystemExit("...") is 1) is restarted at once, forever; this one makes the master halt with
# "Worker failed to boot." and exit with it, so the Elastic Beanstalk deploy fails visibly.
# Both Procfile workers (gthread for web:, gevent for stream:) load the app in init_process,
# whose SystemExit gunicorn passes through unchanged (arbiter.py spawn_worker). When web:'s
# two workers fail at the same moment the master may exit 1 instead, with a traceback of its
# own (its halt meets the second status): stopped either way, never a restart loop.
WORKER_BOOT_ERROR = 3

try:
    application = create_app()
except ConfigError as err:
    # One clear line instead of a stack trace, then the status that stops gunicorn.
    print(f"configuration error: {err}", file=sys.stderr, flush=True)
    raise SystemExit(WORKER_BOOT_ERROR) from None

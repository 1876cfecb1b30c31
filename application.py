"""The WSGI entry point that Elastic Beanstalk and gunicorn load as application:application."""

from tictactoe import create_app
from tictactoe.config import ConfigError

try:
    application = create_app()
except ConfigError as err:
    # One clear line instead of a stack trace; gunicorn then stops with "failed to boot".
    raise SystemExit(f"configuration error: {err}") from None

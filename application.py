"""The WSGI entry point that Elastic Beanstalk and gunicorn load as application:application."""

from tictactoe import create_app

application = create_app()

"""Application factory for the demo API.

`create_app()` builds a fresh Flask application, so the tests, the Flask CLI
(`manage.py`) and gunicorn (`wsgi.py`) each get their own instance.
"""
import os

from flask import Flask

DEFAULT_SETTINGS = "app.config.DevelopmentConfig"


def create_app(settings=None):
    """Create the API application.

    `settings` is the import path of a config class; it defaults to the
    `APP_SETTINGS` environment variable, then to the development config.
    """
    app = Flask(__name__)
    app.config.from_object(settings or os.environ.get("APP_SETTINGS", DEFAULT_SETTINGS))

    from app.ping import bp as ping_bp

    app.register_blueprint(ping_bp)
    return app

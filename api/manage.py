"""Command line for the API: the Flask CLI plus `python manage.py test`."""
import sys

import pytest
from flask.cli import FlaskGroup

from app import create_app

cli = FlaskGroup(create_app=create_app)


@cli.command("test")
def test():
    """Run the API's test suite with pytest and exit with its status."""
    # No cache directory: the code may sit on a read-only or shared filesystem.
    sys.exit(pytest.main(["-p", "no:cacheprovider", "app/test"]))


if __name__ == "__main__":
    cli()

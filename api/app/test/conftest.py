"""Fixtures: an application built with the testing config, and its test client."""
import pytest

from app import create_app


@pytest.fixture
def app():
    return create_app("app.config.TestingConfig")


@pytest.fixture
def client(app):
    return app.test_client()

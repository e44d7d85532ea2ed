"""Configuration classes; secrets and the version come from the environment."""
import os


class BaseConfig:
    """Settings shared by every environment."""

    TESTING = False
    SECRET_KEY = os.environ.get("SECRET_KEY", "development-only-secret")
    VERSION = os.environ.get("VERSION", "0.1.0")


class DevelopmentConfig(BaseConfig):
    """Local development (the Compose stack)."""


class TestingConfig(BaseConfig):
    """Used by the test suite."""

    TESTING = True


class ProductionConfig(BaseConfig):
    """Deployed image: the secret key must be provided."""

    SECRET_KEY = os.environ.get("SECRET_KEY")

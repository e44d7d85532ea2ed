import os


def test_testing_config(app):
    assert app.config["TESTING"] is True
    assert app.config["SECRET_KEY"] == os.environ.get("SECRET_KEY", "development-only-secret")
    assert app.config["VERSION"] == os.environ.get("VERSION", "0.1.0")

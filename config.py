"""Settings, read from the environment.

`create_app()` picks a class by name (``APP_CONFIG`` or its ``config`` argument); every value
can be overridden by an environment variable of the same name.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("INSTANCE_PATH", BASE_DIR / "instance"))


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _database_url(default_name: str) -> str:
    url = os.environ.get("DATABASE_URL")
    if not url:
        return f"sqlite:///{INSTANCE_DIR / default_name}"
    # Hosting platforms often hand out postgres:// URLs; SQLAlchemy wants the driver named.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-not-secret")
    SQLALCHEMY_DATABASE_URI = _database_url("app.sqlite3")
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    INSTANCE_DIR = INSTANCE_DIR
    REFERENTIEL_DIR = BASE_DIR / "referentiel"
    # Largest référentiel file accepted by `referentiel validate` / import, in bytes.
    REFERENTIEL_MAX_BYTES = int(os.environ.get("REFERENTIEL_MAX_BYTES", 2 * 1024 * 1024))
    # Whether published frameworks can be read without logging in.
    PUBLIC_FRAMEWORKS = _env_bool("PUBLIC_FRAMEWORKS", True)
    BABEL_DEFAULT_LOCALE = "fr"
    LANGUAGES = ["fr"]  # add "en" once translations/en has a catalog
    BABEL_DEFAULT_TIMEZONE = "Europe/Paris"
    WTF_CSRF_ENABLED = True
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", False)
    PERMANENT_SESSION_LIFETIME = timedelta(minutes=int(os.environ.get("SESSION_IDLE_MINUTES", 60)))
    TESTING = False
    DEBUG = False


class DevelopmentConfig(Config):
    DEBUG = True


class TestingConfig(Config):
    TESTING = True
    SECRET_KEY = "testing"
    # Tests use TEST_DATABASE_URL (PostgreSQL in CI) or a private SQLite file.
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", True)
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True, "pool_size": 5, "max_overflow": 5}


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}

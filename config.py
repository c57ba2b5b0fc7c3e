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
# The key used when SECRET_KEY is not set: fine for development, refused in production.
DEV_SECRET_KEY = "dev-only-not-secret"


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_list(name: str) -> list[str] | None:
    value = os.environ.get(name)
    if value is None:
        return None
    return [item.strip() for item in value.split(",") if item.strip()]


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
    SECRET_KEY = os.environ.get("SECRET_KEY", DEV_SECRET_KEY)
    # Argon2id's parameters (app/people/passwords.py): "recommended" everywhere but in tests.
    PASSWORD_HASHING = "recommended"
    # Encrypts the Open Badges signing keys stored in the database (docs/badges.md); SECRET_KEY
    # when unset. Changing it makes the stored private keys unreadable: set it once, keep it.
    BADGE_KEY_SECRET = os.environ.get("BADGE_KEY_SECRET")
    SQLALCHEMY_DATABASE_URI = _database_url("app.sqlite3")
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    INSTANCE_DIR = INSTANCE_DIR
    REFERENTIEL_DIR = BASE_DIR / "referentiel"
    # Largest référentiel file accepted by `referentiel validate` / import, in bytes.
    REFERENTIEL_MAX_BYTES = int(os.environ.get("REFERENTIEL_MAX_BYTES", 2 * 1024 * 1024))
    # Largest CASE package accepted by `case import` (real frameworks run to a few megabytes).
    CASE_MAX_BYTES = int(os.environ.get("CASE_MAX_BYTES", 16 * 1024 * 1024))
    # --- untrusted files (exports/guard.py): every upload and import is read within these ---
    UPLOAD_MAX_BYTES = int(os.environ.get("UPLOAD_MAX_BYTES", 2 * 1024 * 1024))
    UPLOAD_MAX_UNZIPPED_BYTES = int(os.environ.get("UPLOAD_MAX_UNZIPPED_BYTES", 32 * 1024 * 1024))
    UPLOAD_MAX_MEMBERS = int(os.environ.get("UPLOAD_MAX_MEMBERS", 200))
    UPLOAD_MAX_ROWS = int(os.environ.get("UPLOAD_MAX_ROWS", 10_000))
    UPLOAD_MAX_COLUMNS = int(os.environ.get("UPLOAD_MAX_COLUMNS", 200))
    UPLOAD_MAX_CELL_CHARS = int(os.environ.get("UPLOAD_MAX_CELL_CHARS", 32_767))
    # --- end untrusted files ---
    # Whether published frameworks can be read without logging in.
    PUBLIC_FRAMEWORKS = _env_bool("PUBLIC_FRAMEWORKS", True)
    BABEL_DEFAULT_LOCALE = "fr"
    # The interface's languages (translations/<code>/LC_MESSAGES/messages.po), French first.
    LANGUAGES = ["fr", "en"]
    BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "translations")
    # The command line's language (its messages and help): French unless CLI_LOCALE=en.
    CLI_LOCALE = os.environ.get("CLI_LOCALE", "fr")
    # The certifier's time zone: dates on pages, in documents and in file names are its own.
    CERTIFIER_TIMEZONE = os.environ.get("CERTIFIER_TIMEZONE", "Europe/Paris")
    BABEL_DEFAULT_TIMEZONE = CERTIFIER_TIMEZONE
    WTF_CSRF_ENABLED = True
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", False)
    PERMANENT_SESSION_LIFETIME = timedelta(minutes=int(os.environ.get("SESSION_IDLE_MINUTES", 60)))
    # --- accounts (app/people) ---
    # One-time links: invitation (hours) and password reset (minutes).
    INVITATION_TTL_HOURS = int(os.environ.get("INVITATION_TTL_HOURS", 7 * 24))
    PASSWORD_RESET_TTL_MINUTES = int(os.environ.get("PASSWORD_RESET_TTL_MINUTES", 60))
    # Login attempts are counted per address-and-client pair (the e-mail typed and the client's
    # IP address): after LOGIN_THROTTLE_FAILURES, each further attempt waits a pause that starts
    # at LOGIN_THROTTLE_DELAY_SECONDS and doubles up to LOGIN_THROTTLE_MAX_DELAY_MINUTES; a
    # looser ceiling per client (LOGIN_THROTTLE_CLIENT_FAILURES, any address) slows down one
    # client trying many accounts. Counts are forgotten after LOGIN_THROTTLE_FORGET_HOURS.
    LOGIN_THROTTLE_FAILURES = int(os.environ.get("LOGIN_THROTTLE_FAILURES", 5))
    LOGIN_THROTTLE_CLIENT_FAILURES = int(os.environ.get("LOGIN_THROTTLE_CLIENT_FAILURES", 50))
    LOGIN_THROTTLE_DELAY_SECONDS = int(os.environ.get("LOGIN_THROTTLE_DELAY_SECONDS", 60))
    LOGIN_THROTTLE_MAX_DELAY_MINUTES = int(os.environ.get("LOGIN_THROTTLE_MAX_DELAY_MINUTES", 60))
    LOGIN_THROTTLE_FORGET_HOURS = int(os.environ.get("LOGIN_THROTTLE_FORGET_HOURS", 24))
    # Password-reset requests: per address typed and per client, then growing pauses from
    # PASSWORD_RESET_DELAY_MINUTES (the same rules as logins).
    PASSWORD_RESET_PER_ADDRESS = int(os.environ.get("PASSWORD_RESET_PER_ADDRESS", 3))
    PASSWORD_RESET_PER_CLIENT = int(os.environ.get("PASSWORD_RESET_PER_CLIENT", 10))
    PASSWORD_RESET_DELAY_MINUTES = int(os.environ.get("PASSWORD_RESET_DELAY_MINUTES", 15))
    # Two-factor authentication (TOTP, with recovery codes): anyone may turn it on from their
    # account page; where TWO_FACTOR_REQUIRED is on (production), coordinators and jury members
    # must, and set it up at their next login. Off in development, so the demo logs in as is.
    TWO_FACTOR_REQUIRED = _env_bool("TWO_FACTOR_REQUIRED", False)
    TWO_FACTOR_ISSUER = os.environ.get("TWO_FACTOR_ISSUER", "Coopération territoriale")
    # The address people reach the site at, e.g. https://certification.example.org: links in
    # e-mails are built from it, never from the request's Host header. Required in production
    # (or SERVER_NAME). TRUSTED_HOSTS (comma-separated) lists the Host headers served; in
    # production it defaults to PUBLIC_URL's host, and any other Host gets 400.
    PUBLIC_URL = os.environ.get("PUBLIC_URL", "http://127.0.0.1:5000")
    SERVER_NAME = os.environ.get("SERVER_NAME")
    TRUSTED_HOSTS = _env_list("TRUSTED_HOSTS")
    # E-mail: sent over SMTP when MAIL_SERVER is set, otherwise written as .eml files to
    # MAIL_OUTBOX (default: INSTANCE_DIR / "outbox", resolved when a mail is written).
    MAIL_SERVER = os.environ.get("MAIL_SERVER")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", 587))
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_USE_TLS = _env_bool("MAIL_USE_TLS", True)
    MAIL_USE_SSL = _env_bool("MAIL_USE_SSL", False)
    MAIL_FROM = os.environ.get("MAIL_FROM", "ne-pas-repondre@localhost")
    MAIL_OUTBOX = os.environ.get("MAIL_OUTBOX")
    # --- end accounts ---
    # --- evidence (app/assessment/evidence.py) ---
    # Largest evidence file (pièce justificative) accepted, in bytes. Files are stored in
    # EVIDENCE_DIR, outside the web root (default: INSTANCE_DIR / "evidence", resolved on use).
    EVIDENCE_MAX_BYTES = int(os.environ.get("EVIDENCE_MAX_BYTES", 10 * 1024 * 1024))
    EVIDENCE_DIR = os.environ.get("EVIDENCE_DIR")
    # Largest request body accepted at all: one evidence file plus the form around it.
    MAX_CONTENT_LENGTH = int(os.environ.get("MAX_CONTENT_LENGTH", EVIDENCE_MAX_BYTES + 256 * 1024))
    # --- end evidence ---
    # --- the national register (app/registry) ---
    # Largest register export a coordinator may upload (France Compétences' ZIP is tens of MB).
    REGISTRY_UPLOAD_MAX_BYTES = int(os.environ.get("REGISTRY_UPLOAD_MAX_BYTES", 300 * 1024**2))
    # Uploaded exports and import progress wait in REGISTRY_DIR (default: INSTANCE_DIR/registry).
    REGISTRY_DIR = os.environ.get("REGISTRY_DIR")
    # --- end register ---
    # --- exports and background jobs (app/exports_history, app/jobs) ---
    # Every export is kept in EXPORTS_DIR (default: INSTANCE_DIR / "exports", resolved on use).
    EXPORTS_DIR = os.environ.get("EXPORTS_DIR")
    # Accrochage flow to the Caisse des Dépôts: the certifier's idClient (8 characters) and
    # idContrat (up to 20), given by the Caisse des Dépôts; idFlux starts with the prefix.
    # The certifier's settings page (app/settings) stores them per certifier organisation;
    # these values only stand in where it stores none (deployments from before the page).
    ACCROCHAGE_ID_CLIENT = os.environ.get("ACCROCHAGE_ID_CLIENT", "")
    ACCROCHAGE_ID_CONTRAT = os.environ.get("ACCROCHAGE_ID_CONTRAT", "")
    ACCROCHAGE_ID_FLUX_PREFIX = os.environ.get("ACCROCHAGE_ID_FLUX_PREFIX", "COOP")
    # Run background jobs inside the request that starts them (no worker needed); otherwise
    # `flask jobs work` runs them. On in development, off elsewhere.
    JOBS_INLINE = _env_bool("JOBS_INLINE", False)
    # Worker: seconds between polls of an empty queue; a job still "running" after
    # JOBS_STALE_MINUTES (its worker died) is queued again, up to JOBS_MAX_ATTEMPTS runs.
    JOBS_POLL_SECONDS = float(os.environ.get("JOBS_POLL_SECONDS", 2))
    JOBS_STALE_MINUTES = int(os.environ.get("JOBS_STALE_MINUTES", 30))
    JOBS_MAX_ATTEMPTS = int(os.environ.get("JOBS_MAX_ATTEMPTS", 3))
    # --- end exports and background jobs ---
    # --- personal data over time (app/privacy) ---
    # Retention periods in days, applied by `flask retention apply` (0: kept without limit).
    # Insertion-survey answers, from when they were recorded: France Compétences asks for the
    # rates of the promotions of a registration (up to 5 years).
    RETENTION_SURVEY_ANSWERS_DAYS = int(os.environ.get("RETENTION_SURVEY_ANSWERS_DAYS", 5 * 365))
    # Evidence files, from the end of their cohort (the jury and its appeals are over by then).
    RETENTION_EVIDENCE_DAYS = int(os.environ.get("RETENTION_EVIDENCE_DAYS", 2 * 365))
    # Audit entries, from when they were written.
    RETENTION_AUDIT_DAYS = int(os.environ.get("RETENTION_AUDIT_DAYS", 5 * 365))
    # Accounts with no login (nor creation, nor cohort running) for this long are erased as on
    # request: name and e-mail become a pseudonym, certification evidence stays.
    RETENTION_INACTIVE_ACCOUNTS_DAYS = int(
        os.environ.get("RETENTION_INACTIVE_ACCOUNTS_DAYS", 3 * 365)
    )
    # --- end personal data over time ---
    # Number of reverse proxies in front of the app whose X-Forwarded-* headers are trusted.
    PROXY_COUNT = int(os.environ.get("PROXY_COUNT", 0))
    TESTING = False
    DEBUG = False


class DevelopmentConfig(Config):
    DEBUG = True
    JOBS_INLINE = _env_bool("JOBS_INLINE", True)


class TestingConfig(Config):
    TESTING = True
    PUBLIC_URL = "http://localhost"
    SECRET_KEY = "testing"
    PASSWORD_HASHING = "cheapest"  # real Argon2id, at the smallest cost: never outside tests
    # Tests use TEST_DATABASE_URL (PostgreSQL in CI) or a private SQLite file.
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", True)
    TWO_FACTOR_REQUIRED = _env_bool("TWO_FACTOR_REQUIRED", True)
    PUBLIC_URL = os.environ.get("PUBLIC_URL", "")
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True, "pool_size": 5, "max_overflow": 5}


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}

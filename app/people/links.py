"""Links sent by e-mail, built from the configured public address, never from the request.

A request's Host header is chosen by whoever sends it: a reset asked with `Host: evil.example`
must still mail a link to this site. `public_url()` builds every link that leaves by mail from
PUBLIC_URL (or SERVER_NAME), in a request or in a background job alike. In production the
address is required, and TRUSTED_HOSTS defaults to its host, so other Host headers get 400.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Flask, current_app


def public_base(app: Flask) -> str | None:
    """The site's address without a trailing slash, e.g. https://certification.example.org."""
    configured = (app.config.get("PUBLIC_URL") or "").strip()
    if configured:
        return configured.rstrip("/")
    server = app.config.get("SERVER_NAME")
    if server:
        root = (app.config.get("APPLICATION_ROOT") or "/").rstrip("/")
        return f"{app.config.get('PREFERRED_URL_SCHEME') or 'https'}://{server}{root}"
    return None


def configure(app: Flask) -> None:
    """Check the public address; in production, trust no other Host by default."""
    base = public_base(app)
    relaxed = app.debug or app.testing
    if base is None:
        if relaxed:
            return
        raise RuntimeError("PUBLIC_URL (or SERVER_NAME) must be set in production")
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RuntimeError(f"PUBLIC_URL must be an http or https address, not {base!r}")
    if app.config.get("TRUSTED_HOSTS") is None and not relaxed:
        app.config["TRUSTED_HOSTS"] = [parts.hostname]


def public_url(endpoint: str, **values: Any) -> str:
    """The absolute address of `endpoint` on the configured public site."""
    base = public_base(current_app)
    if base is None:
        raise RuntimeError("PUBLIC_URL (or SERVER_NAME) is not set")
    parts = urlsplit(base)
    adapter = current_app.url_map.bind(
        parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme
    )
    return adapter.build(endpoint, values, force_external=True)

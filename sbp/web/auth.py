"""Admin credentials: salted PBKDF2 password hashes, checked in constant time."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from typing import Any

ITERATIONS = 600_000


def hash_password(password: str, salt: str | None = None, iterations: int = ITERATIONS) -> str:
    """'pbkdf2_sha256$<iterations>$<salt>$<hex digest>' for a password."""
    salt = salt or secrets.token_hex(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt.encode("ascii"), iterations).hex()
    return f"pbkdf2_sha256${iterations}${salt}${digest}"


def verify_password(password: str, stored: str) -> bool:
    """Whether password matches a stored hash; False for any malformed hash."""
    try:
        scheme, iterations, salt, digest = stored.split("$")
        if scheme != "pbkdf2_sha256":
            return False
        candidate = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt.encode("ascii"), int(iterations)).hex()
    except (ValueError, UnicodeEncodeError):
        return False
    return hmac.compare_digest(candidate, digest)


def admin_from_secrets(secrets_map: Mapping[str, Any]) -> tuple[str, str] | None:
    """(username, password_hash) from the [admin] secrets section, or None when not (properly) configured."""
    try:
        section = secrets_map.get("admin")
    except Exception:  # st.secrets raises when no secrets file exists at all
        return None
    if not section:
        return None
    username, stored = section.get("username"), section.get("password_hash")
    if not username or not stored or "<" in stored or stored.count("$") != 3:
        return None
    return str(username), str(stored)


def check_login(username: str, password: str, admin: tuple[str, str] | None) -> bool:
    """Whether the credentials are the configured admin's."""
    if admin is None:
        return False
    user_ok = hmac.compare_digest(username.strip().encode(), admin[0].encode())
    return verify_password(password, admin[1]) and user_ok

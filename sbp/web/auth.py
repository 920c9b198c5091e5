"""Admin credentials: salted PBKDF2 password hashes, checked in constant time, with a growing delay after failures."""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import threading
import time
from collections.abc import Mapping
from typing import Any

ITERATIONS = 600_000


def hash_password(password: str, salt: str | None = None, iterations: int = ITERATIONS) -> str:
    """'pbkdf2_sha256$<iterations>$<salt>$<hex digest>' for a password."""
    salt = salt or secrets.token_hex(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt.encode("ascii"), iterations).hex()
    return f"pbkdf2_sha256${iterations}${salt}${digest}"


def hash_problem(stored: str) -> str | None:
    """Why a stored hash must not be used (malformed, or fewer iterations than ITERATIONS), else None."""
    parts = stored.split("$")
    if len(parts) != 4 or parts[0] != "pbkdf2_sha256" or not parts[1].isdigit():
        return "the admin password_hash is not a pbkdf2_sha256 hash made by `python -m sbp hash-password`"
    if int(parts[1]) < ITERATIONS:
        return (f"the admin password_hash uses {int(parts[1]):,} iterations, fewer than the {ITERATIONS:,} required; "
                "make a new one with `python -m sbp hash-password`")
    return None


def verify_password(password: str, stored: str) -> bool:
    """Whether password matches a stored hash; False for any malformed or too-weak hash."""
    if hash_problem(stored):
        return False
    try:
        scheme, iterations, salt, digest = stored.split("$")
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
    if not username or not stored or "<" in stored or hash_problem(str(stored)):
        return None
    return str(username), str(stored)


def configured_hash_problem(secrets_map: Mapping[str, Any]) -> str | None:
    """Why the configured admin's password hash is refused, for the page to say; None if fine or not configured."""
    try:
        section = secrets_map.get("admin") or {}
    except Exception:  # st.secrets raises when no secrets file exists at all
        return None
    stored = section.get("password_hash")
    return hash_problem(str(stored)) if stored and "<" not in str(stored) else None


def check_login(username: str, password: str, admin: tuple[str, str] | None) -> bool:
    """Whether the credentials are the configured admin's."""
    if admin is None:
        return False
    user_ok = hmac.compare_digest(username.strip().encode(), admin[0].encode())
    return verify_password(password, admin[1]) and user_ok


FIRST_DELAY_SECONDS = 1.0
MAX_DELAY_SECONDS = 300.0


class Throttle:
    """Failed sign-ins per key (a user name, a session): each failure doubles the wait before the next attempt."""

    def __init__(self) -> None:
        self._failures: dict[str, tuple[int, float]] = {}
        self._lock = threading.Lock()

    def wait_seconds(self, *keys: str, now: float | None = None) -> float:
        """How long until any of keys may try again (0 when they may now)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            waits = [last + delay(count) - now for count, last in (self._failures.get(k, (0, 0.0)) for k in keys) if count]
        return max([0.0, *waits])

    def admit(self, *keys: str, now: float | None = None) -> float:
        """In one locked step: how long until keys may try again, or 0 and this attempt counted as failed until
        succeeded() clears it, so a burst from many sessions cannot all pass the wait before any failure is counted."""
        now = time.monotonic() if now is None else now
        with self._lock:
            found = [self._failures.get(k, (0, 0.0)) for k in keys]
            wait = max([0.0, *(last + delay(count) - now for count, last in found if count)])
            if wait == 0:
                for key, (count, _) in zip(keys, found):
                    self._failures[key] = (count + 1, now)
            return wait

    def succeeded(self, *keys: str) -> None:
        """Forget the failures of every key."""
        with self._lock:
            for key in keys:
                self._failures.pop(key, None)


def delay(failures: int) -> float:
    """Seconds to wait after this many consecutive failures: none after the first two, then 1, 2, 4 ... up to 5 minutes."""
    return 0.0 if failures < 3 else min(MAX_DELAY_SECONDS, FIRST_DELAY_SECONDS * 2 ** (failures - 3))


SIGN_INS = Throttle()  # one per server process: a user name is throttled across every session


def attempt_login(username: str, password: str, admin: tuple[str, str] | None, session_key: str,
                  throttle: Throttle = SIGN_INS) -> tuple[bool, str | None]:
    """Check credentials unless this user or session must still wait; (signed in, message for a refusal)."""
    keys = (f"user:{username.strip().lower()}", f"session:{session_key}")
    wait = throttle.admit(*keys)  # counted as a failure before the (slow) check: the wait and the count are one step
    if wait > 0:
        seconds = max(1, math.ceil(wait))
        return False, f"Too many failed sign-ins; try again in {seconds} second{'' if seconds == 1 else 's'}."
    if check_login(username, password, admin):
        throttle.succeeded(*keys)
        return True, None
    return False, "That username and password do not match the configured admin."

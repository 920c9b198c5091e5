"""A burst of wrong passwords from many sessions at once is throttled: the wait and the failure count are one step."""

from __future__ import annotations

import threading
import time

from sbp.web import auth

ADMIN = ("analyst", auth.hash_password("right-password-here"))  # the real 600,000 iterations: each check is slow


def burst(attempts: int, throttle: auth.Throttle) -> list[tuple[bool, str | None]]:
    """attempts wrong passwords for one user, each from its own session, all started together."""
    results: list[tuple[bool, str | None]] = [(False, None)] * attempts
    start = threading.Barrier(attempts)

    def attempt(number: int) -> None:
        start.wait()
        results[number] = auth.attempt_login("analyst", f"guess {number}", ADMIN, f"session-{number}", throttle)

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_twelve_wrong_passwords_from_twelve_sessions_at_once_are_throttled():
    began = time.monotonic()
    results = burst(12, auth.Throttle())
    elapsed = time.monotonic() - began
    checked = [message for ok, message in results if message and message.startswith("That username and password")]
    refused = [message for ok, message in results if message and message.startswith("Too many failed sign-ins")]
    assert not any(ok for ok, _ in results)
    # two failures are free, the third sets a 1 s wait: only the first three are checked while the burst lasts
    assert len(checked) == 3 and len(refused) == 9, (len(checked), elapsed)
    assert all(message == "Too many failed sign-ins; try again in 1 second." for message in refused), refused


def test_the_right_password_after_the_wait_still_signs_in_and_clears_the_count():
    throttle = auth.Throttle()
    now = time.monotonic()
    for n in range(3):
        assert throttle.admit("user:analyst", f"session:{n}", now=now) == 0  # each admitted attempt counts as failed
    assert throttle.admit("user:analyst", "session:9", now=now + 0.5) == 0.5
    assert throttle.admit("user:analyst", "session:9", now=now + 1.0) == 0  # the wait is over: admitted, 4 counted
    assert throttle.wait_seconds("user:analyst", now=now + 1.0) == auth.delay(4)
    throttle.succeeded("user:analyst")
    assert throttle.wait_seconds("user:analyst") == 0

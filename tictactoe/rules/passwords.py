"""What makes a password good enough: pure functions, no I/O."""

from __future__ import annotations

import threading

from zxcvbn import zxcvbn

from tictactoe.rules.names import skeleton

MIN_PASSWORD, MAX_PASSWORD = 8, 256
MIN_SCORE = 2  # zxcvbn's 0-4 scale: 2 is "somewhat guessable", safe from online guessing
# zxcvbn's time grows steeply with length (a random 256-character password takes it most of
# a minute), so it judges the first JUDGED characters; anything longer only adds strength.
JUDGED = 64
# zxcvbn keeps the user inputs in a module-level dictionary: one estimate at a time.
_ESTIMATING = threading.Lock()


def length_problem(password: object) -> str | None:
    """Return why `password` is too short or too long (or not text), or None."""
    if not isinstance(password, str) or not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        return f"password must be {MIN_PASSWORD} to {MAX_PASSWORD} characters"
    return None


def password_problem(password: object, username: str) -> str | None:
    """Return why `password` is not good enough for `username`, or None when it is."""
    problem = length_problem(password)
    if problem is not None:
        return problem
    assert isinstance(password, str)  # length_problem refused anything else
    if username and skeleton(username) in skeleton(password):
        return "password must not be built from your username. Choose words of your own."
    with _ESTIMATING:
        judged = zxcvbn(password[:JUDGED], user_inputs=[username], max_length=JUDGED)
    if judged["score"] >= MIN_SCORE:
        return None
    feedback = judged["feedback"]
    advice = [feedback.get("warning") or "", *feedback.get("suggestions", [])]
    said = " ".join(a.strip() for a in advice if a.strip())
    return "password is too easy to guess." + (f" {said}" if said else "")

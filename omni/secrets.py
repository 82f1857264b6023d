"""Is a secret good enough for production? One rule, used by the production settings (secrets
from the environment, at start-up) and by whatever builds a client from stored configuration
(secrets from the database, at use).

A secret is refused when it is empty, shorter than MIN_SECRET_LENGTH, or one of the values
published in this repository (development defaults, documentation and test fixtures): anyone
who can read the code can sign with those.
"""

from __future__ import annotations

MIN_SECRET_LENGTH = 24

# Values that appear in the repository as defaults or examples. Each is refused whatever its
# length, so that lengthening a default can never make it acceptable.
PUBLISHED_SECRETS = frozenset(
    {
        "sk-omni-test-dev",
        "whsec-omni-test-dev",
        "whsec-test-secret",
        "sk-test-key",
        "sandbox-api-key",
        "sandbox-secret",
        "change-me",
    }
)


def secret_problem(value: object, *, min_length: int = MIN_SECRET_LENGTH) -> str | None:
    """Why `value` cannot be a production secret, or None when it can."""
    text = "" if value is None else str(value)
    if not text.strip():
        return "is not set"
    if text in PUBLISHED_SECRETS or text.lower().startswith("change-me"):
        return "is a value published in the repository"
    if len(text) < min_length:
        return f"is shorter than {min_length} characters"
    return None

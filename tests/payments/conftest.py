from tests.payments.support import provider  # noqa: F401 (a fixture)

import pytest

from customers.iys import iys_client
from tests.customers.fake_iys import FakeIys


@pytest.fixture
def fake_iys(settings):
    """A local fake IYS, with the settings pointing at it and IYS switched on."""
    fake = FakeIys().start()
    settings.IYS_ENABLED = True
    settings.IYS_BASE_URL = fake.url
    settings.IYS_USERNAME = fake.username
    settings.IYS_PASSWORD = fake.password
    settings.IYS_CODE = fake.iys_code
    settings.IYS_BRAND_CODE = fake.brand_code
    yield fake
    fake.stop()


@pytest.fixture
def iys(fake_iys):
    """The client the settings build, talking to the fake."""
    return iys_client()

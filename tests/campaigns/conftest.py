import pytest

from tests import factories as f


@pytest.fixture
def web():
    return f.ChannelFactory(code="web", kind="web")


@pytest.fixture
def store():
    return f.ChannelFactory(code="store-kadikoy", kind="store")

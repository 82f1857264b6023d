import pytest

from omni.errors import ValidationError
from sales_channels.models import Channel
from sales_channels.selectors import channel_cache_clear, channel_get_active
from tests import factories as f
from tests.queries import assert_num_queries

pytestmark = pytest.mark.django_db


def test_a_channel_is_kept_for_a_while_and_forgotten_when_saved_here(settings):
    settings.OMNI_CHANNEL_CACHE_SECONDS = 60
    channel_cache_clear()
    web = f.ChannelFactory(code="web")
    channel_get_active("web")
    with assert_num_queries(0):
        kept = channel_get_active("web")
    kept.name = "changed in one request"  # each caller has its own copy
    assert channel_get_active("web").name == web.name

    Channel.objects.filter(pk=web.pk).update(is_active=False)  # as another process would
    assert channel_get_active("web").pk == web.pk
    web.refresh_from_db()
    web.save()  # saved in this process: forgotten at once
    with pytest.raises(ValidationError) as error:
        channel_get_active("web")
    assert error.value.code == "unknown_channel"
    channel_cache_clear()

import pytest

from sales_channels.demo import seed_retailer
from sales_channels.models import Retailer
from sales_channels.selectors import retailer_get

pytestmark = pytest.mark.django_db


def test_a_fresh_install_has_a_named_retailer_before_its_set_up():
    retailer = retailer_get()
    assert retailer.pk == 1 and retailer.trade_name == "Omni"
    assert not Retailer.objects.exists()


def test_the_merchant_s_details_are_read_and_a_change_is_seen_at_once():
    seed_retailer()
    assert retailer_get().mersis_number == "0612345678900015"
    Retailer.objects.filter(pk=1).update(trade_name="Moda Ev Outlet")
    retailer = Retailer.objects.get(pk=1)
    retailer.save()
    assert retailer_get().trade_name == "Moda Ev Outlet"

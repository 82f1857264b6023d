"""A customer changes their own addresses, never someone else's."""

import pytest

from customers.models import Address
from customers.services import address_save
from omni.errors import NotFound
from tests import factories as f

pytestmark = pytest.mark.django_db

HOME = {"label": "Ev", "line1": "Moda Cad. 1", "city": "İstanbul", "country": "tr"}


def test_a_customer_changes_their_own_address():
    customer = f.CustomerFactory()
    address = address_save(customer=customer, data=HOME)

    changed = address_save(
        customer=customer, data={**HOME, "line1": "Moda Cad. 2"}, address_id=address.pk
    )

    assert changed.pk == address.pk
    assert Address.objects.get(pk=address.pk).line1 == "Moda Cad. 2"
    assert changed.country == "TR"


def test_another_customers_address_is_not_found_and_stays_as_it_was():
    owner, other = f.CustomerFactory(), f.CustomerFactory()
    address = address_save(customer=owner, data=HOME)

    with pytest.raises(NotFound):
        address_save(customer=other, data={**HOME, "line1": "Başka"}, address_id=address.pk)

    assert Address.objects.get(pk=address.pk).line1 == "Moda Cad. 1"
    assert not Address.objects.filter(customer=other).exists()

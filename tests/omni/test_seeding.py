"""omni.seeding: seed_demo finds each installed app's demo step and runs it after the steps
whose data it needs, without the plumbing naming an app (the command is tested through its
output in tests/catalog/test_seed_demo.py and tests/orders/test_demo.py)."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from omni.seeding import demo_steps


def test_each_apps_demo_runs_after_what_it_needs_else_bottom_layer_first():
    assert [module.__name__ for module in demo_steps()] == [
        "sales_channels.demo",  # before accounts, its sibling: store staff work at a store
        "accounts.demo",
        "catalog.demo",
        "inventory.demo",
        # after accounts (the demo customer's welcome points), before orders (which gives its
        # demo profiles their history)
        "customers.demo",
        "orders.demo",
        "payments.demo",
        "campaigns.demo",  # promotions on the catalog and the channels
        "storefront.demo",  # the shop's pages, naming the retailer
    ]


def test_steps_that_wait_for_each_other_are_refused(monkeypatch):
    from sales_channels import demo

    monkeypatch.setattr(demo, "SEED_AFTER", ("accounts",), raising=False)

    with pytest.raises(
        ImproperlyConfigured, match=r"^The demo steps of accounts, sales_channels, catalog, "
    ):
        demo_steps()

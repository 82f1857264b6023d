"""Every API operation, fuzzed from the OpenAPI schema (Schemathesis): no answer is a server
error, and every answer (status, content type, body) is one the schema documents.

The schema is loaded from the app itself and each operation is called in-process through the
WSGI app, on the test database, as an anonymous visitor (who also sends made-up tokens), a
customer and a merchant superuser. Path and query parameters and body fields are drawn from
the generated values and from the names of a small world (a product, an order, a return, a
cart line, ...), so both the refusals and the real answers are checked. Generation is seeded
and derandomised, with 8 examples per operation (positive and negative), so a run is the same
on every machine and takes about a minute.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.models import User
from customers.services import customer_for_user
from orders.models import Fulfilment
from orders.services import carts
from tests import factories as f
from tests.orders.test_returns import ask, delivered, place

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

# Fuzzing only, a few examples per operation, seeded: a stable run of a minute or so. The
# coverage phase (every boundary of every field, ~11000 calls a caller) runs with
# OMNI_API_FUZZ=deep, by hand or in a nightly job; OMNI_API_FUZZ_SEED=<n> explores other cases.
DEEP = os.environ.get("OMNI_API_FUZZ") == "deep"
CONFIG = {
    "seed": int(os.environ.get("OMNI_API_FUZZ_SEED", "13")),
    "generation": {"max-examples": 50 if DEEP else 8, "deterministic": True, "database": "none"},
    "phases": {"stateful": {"enabled": False}, "coverage": {"enabled": DEEP}},
}

schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.fixture(scope="module")
def raw_schema(django_db_blocker) -> tuple[dict, object]:
    app = get_wsgi_application()
    with django_db_blocker.unblock():
        loaded = schemathesis.openapi.from_wsgi("/api/schema/", app)
    return loaded.raw_schema, app


@pytest.fixture
def world(db) -> dict:
    """A channel with a product in stock, a customer with a cart and a delivered order with a
    return, a merchant superuser: the ids that path parameters are drawn from."""
    web = f.ChannelFactory(code="web", kind="web", return_window_days=14)
    variant = f.product(channels=[web], price="100.00").variants.select_related("product").get()
    location = f.stocked(web, variant, quantity=50)
    shopper = f.UserFactory()
    customer = customer_for_user(user=shopper)
    order = delivered(place(web, customer, {variant: 2}))
    return_request = ask(order, web, (order.lines.get(), 1, "size"))
    cart = carts.cart_for_customer(customer=customer, channel=web)
    carts.cart_add(cart=cart, channel=web, variant_id=variant.pk, quantity=1)
    line = cart.lines.get()
    merchant = f.UserFactory(
        role=User.Role.MERCHANT_STAFF, is_staff=True, is_superuser=True, email="boss@example.com"
    )
    fulfilment = Fulfilment.objects.filter(order=order).first()
    return {
        "users": {"anonymous": None, "customer": shopper, "merchant": merchant},
        "names": {
            "id": [variant.product_id, return_request.pk, fulfilment.pk],
            "slug": [variant.product.slug],
            "sku": [variant.sku],
            "channel": [web.code],
            "number": [order.number],
            "order": [order.number],
            "line_id": [line.pk],
            "customer_id": [customer.pk],
            "location": [location.code],
        },
    }


@pytest.fixture(params=["anonymous", "customer", "merchant"])
def caller(request, world) -> dict:
    user = world["users"][request.param]
    return {"Authorization": f"Token {f.token_for(user)}"} if user else {}


@pytest.fixture
def api_schema(raw_schema, world, caller):
    raw, app = raw_schema
    loaded = schemathesis.openapi.from_dict(raw, config=schemathesis.Config.from_dict(CONFIG))
    loaded.app = app
    known = world["names"]

    def sometimes_known(values, declared=()):
        """Each value as generated or one of the world's of that name; a declared parameter
        with a name the world knows, left out by the generator, sometimes added."""
        if not isinstance(values, dict):
            return st.just(values)
        drawn = {
            name: st.sampled_from([value, *known.get(name, [])]) for name, value in values.items()
        }
        absent = [name for name in declared if name in known and name not in values]
        optional = {name: st.sampled_from(known[name]) for name in absent}
        return st.fixed_dictionaries(drawn, optional=optional)

    @loaded.hook
    def flatmap_path_parameters(context, path_parameters):
        return sometimes_known(path_parameters)

    @loaded.hook
    def flatmap_query(context, query):
        return sometimes_known(query, [p.name for p in context.operation.query])

    @loaded.hook
    def flatmap_body(context, body):
        return sometimes_known(body)

    return loaded


@pytest.fixture
def _one_connection():
    """The app runs in this thread on the test's connection: Django must not close it at the
    start and end of each request (as its own test client does)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def _node_id(request):
    """Schemathesis 4.32's lazy schema relabels the pytest item through `_nodeid`, which
    pytest 9.2 no longer has; give it one (the label only shows in its reports)."""
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = request.node.nodeid


@pytest.mark.postgres
@pytest.mark.usefixtures("_node_id", "_one_connection")
@schema.parametrize()
def test_every_operation_answers_as_its_schema_says(case, caller):
    # Each call in a savepoint rolled back after it: every example meets the same world, and
    # a statement that fails cannot poison the calls after it.
    with transaction.atomic():
        case.call_and_validate(headers=caller, checks=CHECKS)
        transaction.set_rollback(True)

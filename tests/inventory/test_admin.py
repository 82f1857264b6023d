"""The inventory admin: every page opens, every change of stock goes through the services (ledger
and availability events written), and bad input is a form error that changes nothing."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from inventory import services
from inventory.models import (
    AvailabilityRefresh,
    ChannelLocation,
    LowStockAlert,
    Stock,
    StockMovement,
    Transfer,
)
from inventory.services import TOPIC_AVAILABILITY
from omni.models import OutboxEvent
from tests import factories as f
from tests.queries import assert_num_queries

pytestmark = pytest.mark.django_db

TOPIC = "inventory.availability.changed"
STOCK_LIST = reverse("admin:inventory_stock_changelist")
TRANSFER_LIST = reverse("admin:inventory_transfer_changelist")


@pytest.fixture
def web():
    return f.ChannelFactory(code="web")


@pytest.fixture
def dc(web):
    location = f.StockLocationFactory(code="dc-gebze", name="Gebze DC", city="Kocaeli")
    f.sells_from(web, location)
    return location


@pytest.fixture
def store(web, dc):
    location = f.StockLocationFactory(code="store-kadikoy", name="Kadıköy", kind="store")
    f.sells_from(web, dc, location)
    return location


@pytest.fixture
def variant(web):
    return f.product(channels=[web]).variants.get()


@pytest.fixture
def user():
    return f.UserFactory(role="merchant_staff", is_staff=True, is_superuser=True)


@pytest.fixture
def admin_client(client, user):
    client.force_login(user)
    # The messages are asserted in English; Turkish is the default language.
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def quantities() -> list[tuple[int, int, int]]:
    return list(Stock.objects.order_by("id").values_list("id", "on_hand", "allocated"))


def events() -> int:
    return OutboxEvent.objects.filter(topic=TOPIC).count()


def nothing_changed(before_stock, before_movements, before_events) -> bool:
    return (quantities(), StockMovement.objects.count(), events()) == (
        before_stock,
        before_movements,
        before_events,
    )


def snapshot():
    return quantities(), StockMovement.objects.count(), events()


def form_errors(response) -> dict:
    return response.context["form"].errors


# --- every page opens -----------------------------------------------------------------------


@pytest.fixture
def busy(web, dc, store, variant):
    """A little of everything: stock, a reservation, an order, a transfer and an alert."""
    services.stock_receive(variant=variant, location=dc, quantity=10)
    Stock.objects.update(reorder_point=6)
    services.reservations_set(
        channel=web, reference="cart:abc", lines={variant.pk: 1}, ttl=timedelta(minutes=15)
    )
    services.stock_allocate(
        channel=web, reference="order:1", lines=[services.LineRequest(variant.pk, 2, "line:1")]
    )
    services.transfer_request(source=dc, destination=store, lines={variant.pk: 2})
    assert LowStockAlert.objects.filter(resolved_at__isnull=True).count() == 1


@pytest.mark.parametrize(
    "model",
    [
        "stocklocation",
        "stock",
        "stockmovement",
        "transfer",
        "reservation",
        "allocation",
        "lowstockalert",
    ],
)
def test_every_inventory_changelist_opens_with_a_search(admin_client, busy, variant, model):
    url = reverse(f"admin:inventory_{model}_changelist")
    assert admin_client.get(url).status_code == 200
    found = admin_client.get(url, {"q": variant.sku if model != "stocklocation" else "gebze"})
    assert found.status_code == 200
    assert found.context["cl"].result_count >= 1


@pytest.mark.parametrize(
    ("model", "params"),
    [
        ("stock", {"level": "low", "location__kind": "warehouse"}),
        ("stock", {"level": "out"}),
        ("stockmovement", {"kind": "receipt", "created_at__year": str(timezone.now().year)}),
        ("reservation", {"state": "live"}),
        ("allocation", {"status": "allocated"}),
        ("lowstockalert", {"state": "open", "notified": "no"}),
        ("transfer", {"status": "requested"}),
    ],
)
def test_the_filters_work(admin_client, busy, model, params):
    response = admin_client.get(reverse(f"admin:inventory_{model}_changelist"), params)
    assert response.status_code == 200  # an unknown lookup would redirect to ?e=1


def test_the_change_and_add_pages_open(admin_client, busy, dc, variant):
    stock = Stock.objects.get(variant=variant, location=dc)
    transfer = Transfer.objects.get()
    movement = StockMovement.objects.first()
    for url in [
        reverse("admin:inventory_stock_change", args=[stock.pk]),
        reverse("admin:inventory_stock_add"),
        reverse("admin:inventory_stocklocation_change", args=[dc.pk]),
        reverse("admin:inventory_stocklocation_add"),
        reverse("admin:inventory_transfer_change", args=[transfer.pk]),
        reverse("admin:inventory_transfer_add"),
        reverse("admin:inventory_stockmovement_change", args=[movement.pk]),
    ]:
        assert admin_client.get(url).status_code == 200, url


def test_the_stock_page_shows_the_latest_ledger_and_links_to_all_of_it(admin_client, dc, variant):
    for _ in range(25):
        services.stock_receive(variant=variant, location=dc, quantity=1)
    stock = Stock.objects.get()
    page = admin_client.get(reverse("admin:inventory_stock_change", args=[stock.pk]))
    (inline,) = [
        fs for fs in page.context["inline_admin_formsets"] if fs.opts.model is StockMovement
    ]
    shown = [form.original.pk for form in inline]
    newest = list(StockMovement.objects.order_by("-id").values_list("pk", flat=True)[:20])
    assert shown == newest

    ledger = admin_client.get(
        reverse("admin:inventory_stockmovement_changelist"), {"stock": stock.pk}
    )
    assert ledger.status_code == 200
    assert {m.stock_id for m in ledger.context["cl"].result_list} == {stock.pk}


def test_the_low_stock_alerts_list_open_ones_first(admin_client, dc, variant):
    services.stock_receive(variant=variant, location=dc, quantity=10)
    Stock.objects.update(reorder_point=5)
    services.stock_adjust(variant=variant, location=dc, delta=-6, reason="Hasar")  # opens
    services.stock_receive(variant=variant, location=dc, quantity=10)  # resolves
    services.stock_adjust(variant=variant, location=dc, delta=-10, reason="Kayıp")  # opens again
    resolved, current = LowStockAlert.objects.order_by("id")
    assert resolved.resolved_at is not None and current.resolved_at is None

    listed = admin_client.get(reverse("admin:inventory_lowstockalert_changelist"))
    assert [a.pk for a in listed.context["cl"].result_list] == [current.pk, resolved.pk]


# --- a fixed number of queries ----------------------------------------------------------------


def test_the_stock_list_has_a_fixed_number_of_queries(admin_client, web, dc, store, variant):
    services.stock_receive(variant=variant, location=dc, quantity=5)
    with assert_num_queries(6):
        response = admin_client.get(STOCK_LIST)
    assert response.context["cl"].result_count == 1

    for _ in range(8):
        item = f.product(channels=[web], variants=2)
        for v in item.variants.all():
            services.stock_receive(variant=v, location=dc, quantity=3)
            services.stock_receive(variant=v, location=store, quantity=2)
    with assert_num_queries(6):
        response = admin_client.get(STOCK_LIST)
    assert response.context["cl"].result_count == 33
    with assert_num_queries(6):
        admin_client.get(STOCK_LIST, {"q": "SKU", "level": "in"})


@pytest.mark.parametrize(
    ("model", "queries"), [("stockmovement", 8), ("transfer", 7), ("lowstockalert", 6)]
)
def test_the_other_lists_have_a_fixed_number_of_queries(
    admin_client, web, dc, store, variant, model, queries
):
    url = reverse(f"admin:inventory_{model}_changelist")
    services.stock_receive(variant=variant, location=dc, quantity=20)
    Stock.objects.update(reorder_point=10)
    services.stock_adjust(variant=variant, location=dc, delta=-1, reason="Hasar")
    services.transfer_request(source=dc, destination=store, lines={variant.pk: 1})
    with assert_num_queries(queries):
        admin_client.get(url)
    for _ in range(5):
        v = f.product(channels=[web]).variants.get()
        services.stock_receive(variant=v, location=dc, quantity=5)
        Stock.objects.filter(variant=v).update(reorder_point=10)
        services.stock_adjust(variant=v, location=dc, delta=-1, reason="Hasar")
        services.transfer_request(source=dc, destination=store, lines={v.pk: 1, variant.pk: 1})
    with assert_num_queries(queries):
        admin_client.get(url)


# --- stock actions ----------------------------------------------------------------------------


def test_the_receive_action_asks_then_receives_through_the_service(
    admin_client, user, dc, store, variant
):
    services.stock_receive(variant=variant, location=dc, quantity=4)
    services.stock_receive(variant=variant, location=store, quantity=1)
    at_dc, at_store = Stock.objects.order_by("location__code")
    selected = {"action": "receive_stock", "_selected_action": [at_dc.pk, at_store.pk]}
    before_events = events()

    page = admin_client.post(STOCK_LIST, selected)
    assert page.status_code == 200
    assert [s.pk for s, _field in page.context["form"].lines()] == [at_dc.pk, at_store.pk]

    done = admin_client.post(
        STOCK_LIST,
        {
            **selected,
            "apply": "1",
            f"row-{at_dc.pk}": "6",
            f"row-{at_store.pk}": "3",
            "reference": "IRS-2026-0042",
        },
    )
    assert done.status_code == 302
    at_dc.refresh_from_db()
    at_store.refresh_from_db()
    assert (at_dc.on_hand, at_store.on_hand) == (10, 4)
    receipts = StockMovement.objects.filter(reference="IRS-2026-0042").order_by("stock_id")
    assert list(receipts.values_list("stock_id", "kind", "on_hand_delta", "actor")) == [
        (at_dc.pk, "receipt", 6, user.pk),
        (at_store.pk, "receipt", 3, user.pk),
    ]
    assert events() == before_events + 2  # one per change of what web can sell
    latest = OutboxEvent.objects.filter(topic=TOPIC).latest("id")
    assert latest.payload["available"] == 14
    assert services.stock_audit() == []


def test_the_adjust_action_needs_a_reason_and_records_it(admin_client, user, dc, variant):
    services.stock_receive(variant=variant, location=dc, quantity=10)
    stock = Stock.objects.get()
    data = {"action": "adjust_stock", "_selected_action": [stock.pk], "apply": "1"}
    before = snapshot()

    no_reason = admin_client.post(STOCK_LIST, {**data, f"row-{stock.pk}": "-2", "reason": ""})
    assert no_reason.status_code == 200
    assert "reason" in form_errors(no_reason)
    assert nothing_changed(*before)

    done = admin_client.post(STOCK_LIST, {**data, f"row-{stock.pk}": "-2", "reason": "Raf hasarı"})
    assert done.status_code == 302
    stock.refresh_from_db()
    assert stock.on_hand == 8
    movement = StockMovement.objects.latest("id")
    assert (movement.kind, movement.on_hand_delta, movement.reason, movement.actor) == (
        "adjustment",
        -2,
        "Raf hasarı",
        user,
    )
    assert events() == before[2] + 1


def test_a_refused_adjustment_shows_the_service_error_and_changes_no_row(
    admin_client, web, dc, store, variant
):
    services.stock_receive(variant=variant, location=dc, quantity=5)
    services.stock_receive(variant=variant, location=store, quantity=3)
    services.stock_allocate(
        channel=web, reference="order:9", lines=[services.LineRequest(variant.pk, 4)]
    )
    at_dc, at_store = Stock.objects.order_by("location__code")
    assert (at_dc.on_hand, at_dc.allocated) == (5, 4)
    before = snapshot()

    refused = admin_client.post(
        STOCK_LIST,
        {
            "action": "adjust_stock",
            "_selected_action": [at_dc.pk, at_store.pk],
            "apply": "1",
            f"row-{at_dc.pk}": "-3",  # only 1 is free here
            f"row-{at_store.pk}": "-1",  # fine on its own, but all or nothing
            "reason": "Sayım farkı",
        },
    )
    assert refused.status_code == 200
    errors = form_errors(refused)
    assert list(errors) == [f"row-{at_dc.pk}"]
    assert "has 1 free at" in errors[f"row-{at_dc.pk}"][0]
    assert nothing_changed(*before)

    zero = admin_client.post(
        STOCK_LIST,
        {
            "action": "adjust_stock",
            "_selected_action": [at_store.pk],
            "apply": "1",
            f"row-{at_store.pk}": "0",
            "reason": "Sayım farkı",
        },
    )
    assert list(form_errors(zero)) == [f"row-{at_store.pk}"]
    assert nothing_changed(*before)


def test_the_count_action_records_the_difference(admin_client, user, dc, variant):
    services.stock_receive(variant=variant, location=dc, quantity=10)
    stock = Stock.objects.get()
    data = {"action": "count_stock", "_selected_action": [stock.pk]}

    page = admin_client.post(STOCK_LIST, data)
    assert page.context["form"][f"row-{stock.pk}"].initial == 10  # starts from what is on hand

    done = admin_client.post(STOCK_LIST, {**data, "apply": "1", f"row-{stock.pk}": "7"})
    assert done.status_code == 302
    stock.refresh_from_db()
    assert stock.on_hand == 7
    movement = StockMovement.objects.latest("id")
    assert (movement.kind, movement.on_hand_delta, movement.actor) == ("count", -3, user)
    assert OutboxEvent.objects.filter(topic=TOPIC).latest("id").payload["available"] == 7


def test_a_count_below_what_is_allocated_or_negative_is_refused(admin_client, web, dc, variant):
    services.stock_receive(variant=variant, location=dc, quantity=10)
    services.stock_allocate(
        channel=web, reference="order:3", lines=[services.LineRequest(variant.pk, 4)]
    )
    stock = Stock.objects.get()
    data = {"action": "count_stock", "_selected_action": [stock.pk], "apply": "1"}
    before = snapshot()

    for counted in ["3", "-1", "abc"]:
        response = admin_client.post(STOCK_LIST, {**data, f"row-{stock.pk}": counted})
        assert response.status_code == 200
        assert list(form_errors(response)) == [f"row-{stock.pk}"], counted
    assert nothing_changed(*before)


def test_a_zero_receipt_is_refused(admin_client, dc, variant):
    services.stock_receive(variant=variant, location=dc, quantity=1)
    stock = Stock.objects.get()
    before = snapshot()
    response = admin_client.post(
        STOCK_LIST,
        {
            "action": "receive_stock",
            "_selected_action": [stock.pk],
            "apply": "1",
            f"row-{stock.pk}": "0",
        },
    )
    assert form_errors(response)[f"row-{stock.pk}"] == ["Enter a whole number above zero."]
    assert nothing_changed(*before)


def test_the_quantities_cannot_be_edited_but_the_reorder_point_can(admin_client, dc, variant):
    services.stock_receive(variant=variant, location=dc, quantity=10)
    stock = Stock.objects.get()
    before = snapshot()
    response = admin_client.post(
        reverse("admin:inventory_stock_change", args=[stock.pk]),
        {
            "on_hand": "999",
            "allocated": "5",
            "reorder_point": "3",
            "movements-TOTAL_FORMS": "1",
            "movements-INITIAL_FORMS": "1",
            "movements-MIN_NUM_FORMS": "0",
            "movements-MAX_NUM_FORMS": "1000",
            "movements-0-id": StockMovement.objects.get().pk,
            "movements-0-stock": stock.pk,
        },
    )
    assert response.status_code == 302
    stock.refresh_from_db()
    assert (stock.on_hand, stock.allocated, stock.reorder_point) == (10, 0, 3)
    assert nothing_changed(*before)


def test_the_reorder_point_is_editable_in_the_list(admin_client, dc, variant):
    services.stock_receive(variant=variant, location=dc, quantity=10)
    stock = Stock.objects.get()
    response = admin_client.post(
        STOCK_LIST,
        {
            "form-TOTAL_FORMS": "1",
            "form-INITIAL_FORMS": "1",
            "form-0-id": stock.pk,
            "form-0-reorder_point": "4",
            "_save": "1",
        },
    )
    assert response.status_code == 302
    stock.refresh_from_db()
    assert (stock.on_hand, stock.reorder_point) == (10, 4)


def test_stock_rows_cannot_be_deleted(admin_client, dc, variant):
    services.stock_receive(variant=variant, location=dc, quantity=1)
    stock = Stock.objects.get()
    url = reverse("admin:inventory_stock_delete", args=[stock.pk])
    assert admin_client.post(url, {"post": "yes"}).status_code == 403
    assert Stock.objects.filter(pk=stock.pk).exists()


# --- receiving where there is no stock row yet ------------------------------------------------


def test_stock_is_received_for_a_sku_never_stocked_at_the_location(admin_client, user, dc, variant):
    assert not Stock.objects.exists()
    before_events = events()
    response = admin_client.post(
        reverse("admin:inventory_stock_add"),
        {"sku": variant.sku, "location": dc.pk, "quantity": "12", "reference": "PO-7"},
    )
    stock = Stock.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:inventory_stock_change", args=[stock.pk])
    assert (stock.variant, stock.location, stock.on_hand) == (variant, dc, 12)
    movement = StockMovement.objects.get()
    assert (movement.kind, movement.on_hand_delta, movement.reference, movement.actor) == (
        "receipt",
        12,
        "PO-7",
        user,
    )
    assert events() == before_events + 1


def test_the_receive_form_finds_a_variant_by_its_barcode(admin_client, dc, variant):
    response = admin_client.post(
        reverse("admin:inventory_stock_add"),
        {"sku": variant.barcode, "location": dc.pk, "quantity": "2"},
    )
    assert response.status_code == 302
    assert Stock.objects.get().on_hand == 2


@pytest.mark.parametrize(
    ("sku", "quantity", "field"),
    [
        ("NO-SUCH-SKU", "5", "sku"),
        (None, "0", "quantity"),
        (None, "-3", "quantity"),
        (None, "", "quantity"),
    ],
)
def test_the_receive_form_refuses_bad_input_and_changes_nothing(
    admin_client, dc, variant, sku, quantity, field
):
    services.stock_receive(variant=variant, location=dc, quantity=1)
    before = snapshot()
    response = admin_client.post(
        reverse("admin:inventory_stock_add"),
        {"sku": sku or variant.sku, "location": dc.pk, "quantity": quantity},
    )
    assert response.status_code == 200
    assert list(form_errors(response)) == [field]
    assert nothing_changed(*before)


# --- the ledger and what is held are read-only -----------------------------------------------


@pytest.mark.parametrize("model", ["stockmovement", "reservation", "allocation", "lowstockalert"])
def test_the_ledger_and_holds_cannot_be_added_changed_or_deleted(admin_client, busy, model):
    from django.apps import apps

    obj = apps.get_model("inventory", model).objects.first()
    assert admin_client.get(reverse(f"admin:inventory_{model}_add")).status_code == 403
    change = reverse(f"admin:inventory_{model}_change", args=[obj.pk])
    assert admin_client.get(change).status_code == 200  # viewable
    assert admin_client.post(change, {}).status_code == 403
    delete = reverse(f"admin:inventory_{model}_delete", args=[obj.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    assert apps.get_model("inventory", model).objects.filter(pk=obj.pk).exists()


def location_form(location, links: list[tuple], *, is_active: bool = True) -> dict:
    """The location's change form as the admin posts it, with its channel rows:
    [(ChannelLocation or None, channel, priority, safety stock, delete?)]."""
    data = {
        "code": location.code,
        "name": location.name,
        "kind": location.kind,
        "channel": "",
        "address_line": "",
        "district": "",
        "city": location.city,
        "postal_code": "",
        "country": "TR",
        "latitude": str(location.latitude),
        "longitude": str(location.longitude),
        "ships_to_customers": "on",
        "accepts_returns": "on",
        "channels-TOTAL_FORMS": str(len(links)),
        "channels-INITIAL_FORMS": str(sum(1 for link, *_rest in links if link)),
        "channels-MIN_NUM_FORMS": "0",
        "channels-MAX_NUM_FORMS": "1000",
    }
    if is_active:
        data["is_active"] = "on"
    for n, (link, channel, priority, safety, delete) in enumerate(links):
        data.update(
            {
                f"channels-{n}-location": location.pk,
                f"channels-{n}-channel": channel.pk,
                f"channels-{n}-priority": str(priority),
                f"channels-{n}-safety_stock": str(safety),
            }
        )
        if link:
            data[f"channels-{n}-id"] = link.pk
        if delete:
            data[f"channels-{n}-DELETE"] = "on"
    return data


def post_location(admin_client, location, links, **kwargs):
    url = reverse("admin:inventory_stocklocation_change", args=[location.pk])
    response = admin_client.post(url, location_form(location, links, **kwargs))
    assert response.status_code == 302, response.context["errors"] if response.context else ""
    return response


def availability_told(variant) -> dict[str, tuple[int, int]]:
    """{channel code: (available, version)} of the newest availability event of the variant."""
    told = {}
    for event in OutboxEvent.objects.filter(topic=TOPIC_AVAILABILITY).order_by("id"):
        if event.payload["variant_id"] == variant.pk:
            told[event.payload["channel"]] = (event.payload["available"], event.version)
    return told


def test_channel_locations_are_configured_on_the_location(admin_client, web, dc):
    app = f.ChannelFactory(code="app")
    link = ChannelLocation.objects.get(channel=web, location=dc)
    post_location(admin_client, dc, [(link, web, 0, 2, False), (None, app, 1, 0, False)])
    assert list(
        ChannelLocation.objects.filter(location=dc)
        .order_by("channel__code")
        .values_list("channel__code", "priority", "safety_stock")
    ) == [("app", 1, 0), ("web", 0, 2)]


def test_a_new_channel_configuration_is_pushed_to_the_channels_concerned(
    admin_client, web, dc, variant, django_capture_on_commit_callbacks
):
    """The channels learn what they can sell now, with a newer version than the last stock
    change they were told of, so no receiver drops it as stale."""
    app = f.ChannelFactory(code="app")
    services.stock_receive(variant=variant, location=dc, quantity=10)
    (_available, version) = availability_told(variant)["web"]
    link = ChannelLocation.objects.get(channel=web, location=dc)

    with django_capture_on_commit_callbacks(execute=True):
        post_location(admin_client, dc, [(link, web, 0, 3, False), (None, app, 1, 0, False)])
    told = availability_told(variant)
    assert told["web"][0] == 7 and told["app"][0] == 10
    assert told["web"][1] > version and told["app"][1] == told["web"][1]

    app_link = ChannelLocation.objects.get(channel=app, location=dc)
    with django_capture_on_commit_callbacks(execute=True):
        post_location(admin_client, dc, [(link, web, 0, 3, False), (app_link, app, 1, 0, True)])
    assert availability_told(variant)["app"][0] == 0  # app stopped selling from here

    with django_capture_on_commit_callbacks(execute=True):
        post_location(admin_client, dc, [(link, web, 0, 3, False)], is_active=False)
    assert availability_told(variant)["web"][0] == 0  # the location closed
    assert services.stock_audit() == []


def test_saving_a_location_without_stock_changes_tells_no_channel(admin_client, web, dc, variant):
    services.stock_receive(variant=variant, location=dc, quantity=10)
    before = OutboxEvent.objects.count()
    link = ChannelLocation.objects.get(channel=web, location=dc)
    data = location_form(dc, [(link, web, link.priority, link.safety_stock, False)])
    data["name"] = "Gebze distribution centre"  # not stock configuration
    url = reverse("admin:inventory_stocklocation_change", args=[dc.pk])
    assert admin_client.post(url, data).status_code == 302
    assert OutboxEvent.objects.count() == before
    assert not AvailabilityRefresh.objects.exists()


# --- transfers --------------------------------------------------------------------------------


def transfer_form(source, destination, *lines, **extra):
    data = {
        "source": source.pk,
        "destination": destination.pk,
        "reference": "",
        "expected_at": "",
        "lines-TOTAL_FORMS": str(max(len(lines), 1)),
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "1000",
        **extra,
    }
    for i, (sku, quantity) in enumerate(lines):
        data[f"lines-{i}-sku"] = sku
        data[f"lines-{i}-quantity"] = quantity
    return data


def test_a_transfer_requested_in_the_admin_holds_its_units_at_the_source(
    admin_client, user, web, dc, store
):
    item = f.product(channels=[web], variants=2)
    first, second = item.variants.order_by("id")
    for v in (first, second):
        services.stock_receive(variant=v, location=dc, quantity=10)
    before_events = events()

    response = admin_client.post(
        reverse("admin:inventory_transfer_add"),
        transfer_form(
            dc,
            store,
            (first.sku, "3"),
            (second.barcode, "2"),
            reference="TR-1",
            expected_at="2026-03-01T10:00",
        ),
    )
    transfer = Transfer.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:inventory_transfer_change", args=[transfer.pk])
    assert (transfer.source, transfer.destination, transfer.status, transfer.reference) == (
        dc,
        store,
        "requested",
        "TR-1",
    )
    assert transfer.requested_by == user
    assert dict(transfer.lines.values_list("variant_id", "quantity")) == {first.pk: 3, second.pk: 2}
    assert dict(Stock.objects.filter(location=dc).values_list("variant_id", "allocated")) == {
        first.pk: 3,
        second.pk: 2,
    }
    assert list(
        StockMovement.objects.filter(reference=f"transfer:{transfer.pk}").values_list(
            "kind", flat=True
        )
    ) == ["allocation", "allocation"]
    assert events() == before_events + 2


@pytest.mark.parametrize(
    ("case", "errors_on"),
    [
        ("same location", "destination"),
        ("zero", "line quantity"),
        ("negative", "line quantity"),
        ("unknown sku", "line sku"),
        ("no lines", "form"),
        ("twice the same sku", "line sku"),
        ("more than there is", "form"),
    ],
)
def test_a_bad_transfer_is_a_form_error_and_changes_nothing(
    admin_client, dc, store, variant, case, errors_on
):
    services.stock_receive(variant=variant, location=dc, quantity=5)
    lines = {
        "same location": [(variant.sku, "1")],
        "zero": [(variant.sku, "0")],
        "negative": [(variant.sku, "-2")],
        "unknown sku": [("YOK-123", "1")],
        "no lines": [],
        "twice the same sku": [(variant.sku, "1"), (variant.sku, "1")],
        "more than there is": [(variant.sku, "6")],
    }[case]
    destination = dc if case == "same location" else store
    before = snapshot()

    response = admin_client.post(
        reverse("admin:inventory_transfer_add"), transfer_form(dc, destination, *lines)
    )
    assert response.status_code == 200
    form, formset = response.context["form"], response.context["lines"]
    if errors_on == "destination":
        assert list(form.errors) == ["destination"]
        assert form.errors["destination"] == ["A transfer goes to another location."]
    elif errors_on == "form":
        assert list(form.errors) == ["__all__"]
    else:
        field = errors_on.split()[1]
        assert any(field in line.errors for line in formset.forms), formset.errors
    assert Transfer.objects.count() == 0
    assert nothing_changed(*before)


def test_shipping_then_receiving_moves_the_stock(admin_client, user, dc, store, variant):
    services.stock_receive(variant=variant, location=dc, quantity=5)
    transfer = services.transfer_request(source=dc, destination=store, lines={variant.pk: 3})
    selected = {"_selected_action": [transfer.pk]}

    shipped = admin_client.post(TRANSFER_LIST, {**selected, "action": "ship"})
    assert shipped.status_code == 302
    transfer.refresh_from_db()
    assert transfer.status == "shipped"
    source = Stock.objects.get(location=dc)
    assert (source.on_hand, source.allocated) == (2, 0)

    received = admin_client.post(TRANSFER_LIST, {**selected, "action": "receive"})
    assert received.status_code == 302
    transfer.refresh_from_db()
    assert transfer.status == "received"
    assert Stock.objects.get(location=store).on_hand == 3
    assert list(
        StockMovement.objects.filter(reference=f"transfer:{transfer.pk}")
        .order_by("id")
        .values_list("kind", "actor")
    ) == [("allocation", None), ("transfer_out", user.pk), ("transfer_in", user.pk)]
    assert services.stock_audit() == []


def test_cancelling_a_requested_transfer_releases_its_units(admin_client, dc, store, variant):
    services.stock_receive(variant=variant, location=dc, quantity=5)
    transfer = services.transfer_request(source=dc, destination=store, lines={variant.pk: 3})
    response = admin_client.post(
        TRANSFER_LIST, {"_selected_action": [transfer.pk], "action": "cancel"}
    )
    assert response.status_code == 302
    transfer.refresh_from_db()
    assert transfer.status == "cancelled"
    assert Stock.objects.get(location=dc).allocated == 0


def test_a_forbidden_transition_is_an_error_and_changes_no_transfer(
    admin_client, dc, store, variant
):
    services.stock_receive(variant=variant, location=dc, quantity=5)
    shipped = services.transfer_request(source=dc, destination=store, lines={variant.pk: 1})
    services.transfer_ship(transfer=shipped)
    waiting = services.transfer_request(source=dc, destination=store, lines={variant.pk: 2})
    before = snapshot()

    # cancelling one in transit is forbidden, so neither of the selected is cancelled
    response = admin_client.post(
        TRANSFER_LIST,
        {"_selected_action": [shipped.pk, waiting.pk], "action": "cancel"},
        follow=True,
    )
    shown = [str(m) for m in response.context["messages"]]
    assert f"T{shipped.pk} is in transit; it cannot be cancelled." in shown
    assert "No transfer was changed." in shown
    assert dict(Transfer.objects.values_list("pk", "status")) == {
        shipped.pk: "shipped",
        waiting.pk: "requested",
    }
    assert nothing_changed(*before)

    again = admin_client.post(
        TRANSFER_LIST, {"_selected_action": [waiting.pk], "action": "receive"}, follow=True
    )
    assert f"T{waiting.pk} is requested; it cannot be received." in [
        str(m) for m in again.context["messages"]
    ]
    assert nothing_changed(*before)


def test_a_transition_refused_by_the_service_is_reported(
    admin_client, monkeypatch, dc, store, variant
):
    # Another clerk ships the transfer between the list being shown and the action running.
    services.stock_receive(variant=variant, location=dc, quantity=5)
    transfer = services.transfer_request(source=dc, destination=store, lines={variant.pk: 1})
    real_ship = services.transfer_ship

    def ship_twice(*, transfer, actor=None):
        real_ship(transfer=transfer)
        return real_ship(transfer=transfer, actor=actor)

    monkeypatch.setattr(services, "transfer_ship", ship_twice)
    response = admin_client.post(
        TRANSFER_LIST, {"_selected_action": [transfer.pk], "action": "ship"}, follow=True
    )
    shown = [str(m) for m in response.context["messages"]]
    assert any(
        m.startswith(f"T{transfer.pk}: Transfer {transfer.pk} is in transit and cannot be shipped")
        for m in shown
    )
    assert Transfer.objects.get().status == "shipped"


def test_only_the_reference_and_expected_date_of_a_transfer_are_edited(
    admin_client, dc, store, variant
):
    services.stock_receive(variant=variant, location=dc, quantity=5)
    transfer = services.transfer_request(source=dc, destination=store, lines={variant.pk: 1})
    before = snapshot()
    response = admin_client.post(
        reverse("admin:inventory_transfer_change", args=[transfer.pk]),
        {
            "reference": "Sevk-9",
            "expected_at_0": "",
            "expected_at_1": "",
            "status": "received",
            "source": store.pk,
            "lines-TOTAL_FORMS": "1",
            "lines-INITIAL_FORMS": "1",
            "lines-MIN_NUM_FORMS": "0",
            "lines-MAX_NUM_FORMS": "1000",
            "lines-0-id": transfer.lines.get().pk,
            "lines-0-transfer": transfer.pk,
        },
    )
    assert response.status_code == 302
    transfer.refresh_from_db()
    assert (transfer.reference, transfer.status, transfer.source) == ("Sevk-9", "requested", dc)
    assert nothing_changed(*before)

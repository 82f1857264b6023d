"""Load the demo business: channels, logins and catalog (and, with --variants, a large catalog
for benchmarks). Safe to run again: what exists is kept."""

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts import demo as accounts_demo
from catalog import demo as catalog_demo
from inventory import demo as inventory_demo
from orders import demo as orders_demo
from payments import demo as payments_demo
from sales_channels import demo as channels_demo


class Command(BaseCommand):
    help = "Load the demo business (safe to run again); --variants N adds a large catalog."

    def add_arguments(self, parser):
        parser.add_argument(
            "--variants",
            type=int,
            default=0,
            help="Also generate a catalog of this many variants (for benchmarks).",
        )
        parser.add_argument("--no-images", action="store_true", help="Skip product images.")

    def handle(self, *args, variants: int, no_images: bool, **options):
        if variants < 0:
            raise CommandError("--variants must be zero or more")
        started = time.monotonic()
        with transaction.atomic():
            channels = channels_demo.seed()
            logins = accounts_demo.seed(channels)
        catalog = catalog_demo.seed(channels, images=not no_images)
        self.stdout.write(
            f"Catalog: {catalog['products']} products, {catalog['variants']} variants "
            f"({catalog['products_created']} products new) on {len(channels)} channels."
        )
        stock = inventory_demo.seed(channels)
        self.stdout.write(
            f"Stock: {stock['locations']} locations, {stock['units_received']} units received."
        )
        orders = orders_demo.seed(channels)
        self.stdout.write(
            f"Orders: {orders['shipping_methods']} shipping methods; {orders['orders_placed']} "
            f"demo orders placed ({orders['orders']} in all for {orders_demo.CUSTOMER_EMAIL})."
        )
        for skipped in orders["skipped"]:
            self.stdout.write(f"  not placed: {skipped}")
        payments = payments_demo.seed(channels)
        self.stdout.write(f"Payments: {payments['gateways']} channel gateways.")
        if payments["skipped"]:
            self.stdout.write(
                "  not switched on (OMNI_ALLOW_TEST_GATEWAY is off): "
                + ", ".join(payments["skipped"])
            )
        if variants:
            bulk = catalog_demo.seed_bulk(channels, variants=variants)
            self.stdout.write(
                f"Benchmark catalog: {bulk['variants']} variants ({bulk['variants_created']} new)."
            )
        self.stdout.write(f"Done in {time.monotonic() - started:.1f}s. Demo logins:")
        for role, email, password in logins:
            self.stdout.write(f"  {role:<15} {email:<26} {password}")

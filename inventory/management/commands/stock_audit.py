"""Prove that every stock row equals the sum of its ledger; report each one that does not."""

from django.core.management.base import BaseCommand, CommandError

from inventory import services
from inventory.models import Stock, StockLocation


class Command(BaseCommand):
    help = (
        "Check every stock row against the sum of its ledger (on hand and allocated). Prints "
        "one line per drifted row and exits non-zero if there is any."
    )

    def add_arguments(self, parser):
        parser.add_argument("--location", metavar="CODE", help="Check only this location.")

    def handle(self, *args, location: str | None = None, **options):
        rows = Stock.objects.all()
        if location is not None:
            if not StockLocation.objects.filter(code=location).exists():
                raise CommandError(f"There is no stock location with the code {location!r}.")
            rows = rows.filter(location__code=location)
        checked = rows.count()
        drifts = [d for d in services.stock_audit() if location is None or d.location == location]
        for d in drifts:
            self.stdout.write(
                f"DRIFT {d.sku} @ {d.location} (stock {d.stock_id}): "
                f"on hand {d.on_hand} vs ledger {d.ledger_on_hand} "
                f"({d.on_hand - d.ledger_on_hand:+d}), "
                f"allocated {d.allocated} vs ledger {d.ledger_allocated} "
                f"({d.allocated - d.ledger_allocated:+d})"
            )
        where = f" at {location}" if location else ""
        summary = f"{checked} stock rows checked{where}, {len(drifts)} drifted"
        if drifts:
            raise CommandError(f"{summary}: stock does not match its ledger.")
        self.stdout.write(self.style.SUCCESS(summary))

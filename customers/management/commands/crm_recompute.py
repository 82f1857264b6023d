"""Rebuild customers' metrics (customers.metrics): all of them with new RFM thresholds, or the
customers named."""

from django.core.management.base import BaseCommand, CommandError

from customers import metrics
from customers.models import Customer


def _positive(name: str, value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise CommandError(f"{name} must be a whole number above zero, not {value!r}.")
    return number


class Command(BaseCommand):
    help = (
        "Recompute every customer's metrics in batches and store new RFM thresholds (the "
        "nightly run), or only the customers given with --customer."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", default=str(metrics.BATCH), metavar="N")
        parser.add_argument(
            "--customer", action="append", default=[], metavar="ID", help="Only this customer."
        )

    def handle(self, *args, batch_size: str, customer: list[str], **options):
        size = _positive("--batch-size", batch_size)
        if customer:
            ids = sorted({_positive("--customer", value) for value in customer})
            known = set(Customer.objects.filter(pk__in=ids).values_list("pk", flat=True))
            if missing := [pk for pk in ids if pk not in known]:
                raise CommandError(f"No customer with the id {missing[0]}.")
            written = metrics.metrics_recompute(customer_ids=ids)
            self.stdout.write(self.style.SUCCESS(f"{written} customers' metrics recomputed"))
            return
        result = metrics.metrics_recompute_all(batch_size=size)
        self.stdout.write(
            self.style.SUCCESS(
                f"{result.customers} customers' metrics recomputed, {result.buyers} buyers scored"
            )
        )

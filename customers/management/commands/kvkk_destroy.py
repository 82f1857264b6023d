"""Run the KVKK periodic destruction now (the beat runs it monthly): every category of personal
data past its retention is deleted or anonymised and logged (customers.retention)."""

from django.core.management.base import BaseCommand, CommandError

from customers.retention import destruction_run


class Command(BaseCommand):
    help = (
        "Destroy personal data past its KVKK retention period, one DestructionLog row per "
        "category. --dry-run counts what would go and changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Count only; destroy and log nothing."
        )

    def handle(self, *args, dry_run: bool = False, **options):
        done = destruction_run(triggered_by="command", dry_run=dry_run)
        if done is None:
            raise CommandError("Another destruction run is under way.")
        for item in done:
            self.stdout.write(
                f"{item.category}: {item.rows} {item.method} "
                f"(older than {item.cutoff:%Y-%m-%d}, {item.retention_days} days)"
            )
        total = sum(item.rows for item in done)
        verb = "would be destroyed (dry run)" if dry_run else "destroyed"
        self.stdout.write(self.style.SUCCESS(f"{total} rows {verb}."))

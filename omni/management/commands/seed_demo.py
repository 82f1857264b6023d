"""Load the demo business: channels, logins and catalog (and, with --variants, a large catalog
for benchmarks). Safe to run again: what exists is kept.

Each app seeds its own part in its `demo` module's `seed_demo(run)` (omni.seeding)."""

import time

from django.core.management.base import BaseCommand, CommandError

from omni.seeding import DemoRun, demo_steps


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
        run = DemoRun(images=not no_images, variants=variants, write=self.stdout.write)
        for module in demo_steps():
            module.seed_demo(run)
        for work in run.afterwards:
            work()
        # The first closing block's title follows the time on its line ("Demo logins:").
        heading = f"Done in {time.monotonic() - started:.1f}s."
        for title, lines in run.closing:
            self.stdout.write(f"{heading} {title}".strip())
            heading = ""
            for line in lines:
                self.stdout.write(line)
        if heading:
            self.stdout.write(heading)

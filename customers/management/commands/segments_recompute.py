"""Recompute segment membership in full: every active segment, or those named by id."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from customers import segments


class Command(BaseCommand):
    help = "Recompute the membership of active segments (all, or the ids given)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("segment_ids", nargs="*", type=int)

    def handle(self, *args, segment_ids: list[int], **options) -> None:
        started = time.monotonic()
        if segment_ids:
            results = {
                pk: segments.segment_recompute(segment_id=pk) for pk in sorted(set(segment_ids))
            }
        else:
            results = segments.segments_recompute_all()
        for pk, result in results.items():
            self.stdout.write(f"segment {pk}: {result.entered} entered, {result.exited} exited")
        self.stdout.write(f"{len(results)} segments in {time.monotonic() - started:.1f} s")

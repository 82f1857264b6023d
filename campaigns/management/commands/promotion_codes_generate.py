"""Make a batch of unique, unguessable codes for a promotion and write them as CSV (code, uses,
used) to a file or to the standard output."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from campaigns.models import Promotion
from campaigns.services.codes import code_batch_csv, code_batch_generate
from omni.errors import OmniError


def _whole(name: str, value: str, *, minimum: int) -> int:
    try:
        number = int(value)
    except ValueError:
        number = minimum - 1
    if number < minimum:
        raise CommandError(f"{name} must be a whole number of at least {minimum}, not {value!r}.")
    return number


class Command(BaseCommand):
    help = (
        "Make COUNT (up to 10,000) single-use codes for the promotion and write them as CSV "
        "(code, uses, used); --uses gives each code more uses, 0 no limit."
    )

    def add_arguments(self, parser):
        parser.add_argument("promotion", metavar="PROMOTION_ID")
        parser.add_argument("count", metavar="COUNT")
        parser.add_argument("--prefix", default="", help="Put before every code (BAHAR-).")
        parser.add_argument("--uses", default="1", metavar="N", help="Uses per code (0: no limit).")
        parser.add_argument("--out", default="", metavar="FILE.csv", help="Default: stdout.")

    def handle(self, *args, promotion: str, count: str, prefix: str, uses: str, out: str, **_):
        pk = _whole("PROMOTION_ID", promotion, minimum=1)
        number = _whole("COUNT", count, minimum=1)
        per_code = _whole("--uses", uses, minimum=0)
        found = Promotion.objects.filter(pk=pk).first()
        if found is None:
            raise CommandError(f"No promotion with the id {pk}.")
        target = Path(out) if out else None
        if target is not None and not target.parent.is_dir():
            raise CommandError(f"No such directory for --out: {target.parent}.")
        try:
            batch = code_batch_generate(
                promotion=found,
                count=number,
                prefix=prefix,
                usage_limit=per_code or None,
                actor=None,
            )
        except OmniError as error:
            raise CommandError(error.message) from None
        if target is None:
            for row in code_batch_csv(batch):
                self.stdout.write(row, ending="")
            return
        with target.open("w", encoding="utf-8", newline="") as file:
            file.writelines(code_batch_csv(batch))
        self.stderr.write(f"{batch.count} codes of batch {batch.pk} written to {target}")

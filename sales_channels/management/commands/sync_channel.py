from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from sales_channels import services
from sales_channels.models import Channel


class Command(BaseCommand):
    help = _(
        "Send the current state of every variant on a channel (availability, price, "
        "publication) to its endpoints, through the outbox."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("code", help=_("the channel's code, e.g. web"))

    def handle(self, *args, code: str, **options) -> None:
        channel = Channel.objects.filter(code=code).first()
        if channel is None:
            known = ", ".join(Channel.objects.order_by("code").values_list("code", flat=True))
            raise CommandError(
                _("No sales channel with the code %(code)s (known: %(known)s).")
                % {"code": code, "known": known or "-"}
            )
        count = services.channel_resync(channel=channel)
        self.stdout.write(
            _("%(count)d changes of %(channel)s queued for its endpoints.")
            % {"count": count, "channel": channel.code}
        )

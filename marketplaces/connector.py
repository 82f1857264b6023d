"""The Trendyol connector of the sales-channel relay (registered by kind, "trendyol"): it plans
what to send with marketplaces.services, sends it through the client in marketplaces.trendyol,
then records what Trendyol accepted; an order's status goes back the same way."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from django.utils.translation import gettext_lazy as _

from marketplaces import services
from marketplaces.trendyol import (
    ITEM_TOPICS,
    MAX_ITEMS_PER_REQUEST,
    STOCK_CAP,
    TOPIC_ORDER_STATUS,
    TrendyolClient,
    TrendyolError,
)
from sales_channels.connectors.base import Change, Connector, Outcome, register

log = logging.getLogger(__name__)


def _outcomes(changes: list[Change], **kwargs: Any) -> list[Outcome]:
    return [Outcome(delivery_id=c.delivery_id, **kwargs) for c in changes]


def _failure(change: Change, error: TrendyolError) -> Outcome:
    return Outcome(
        delivery_id=change.delivery_id,
        ok=False,
        retry=error.retryable,
        error=error.message[:500],
        retry_after=error.retry_after,
        detail={"status": error.status},
    )


@register
class TrendyolConnector(Connector):
    kind = "trendyol"
    label = "Trendyol"  # a brand name
    topics = ITEM_TOPICS | {TOPIC_ORDER_STATUS}
    batch_size = MAX_ITEMS_PER_REQUEST

    def client(self) -> TrendyolClient:
        return TrendyolClient.for_endpoint(self.endpoint)

    def check_config(self) -> dict[str, list[str]]:
        config = self.endpoint.config or {}
        errors = {
            f"config.{name}": [str(_("Required by Trendyol."))]
            for name in ("supplier_id", "api_key", "api_secret")
            if not str(config.get(name, "")).strip()
        }
        if config.get("supplier_id") and not str(config["supplier_id"]).isdigit():
            errors["config.supplier_id"] = [str(_("The seller id is a number."))]
        if not str(getattr(self.endpoint, "url", "")).startswith(("https://", "http://")):
            errors["url"] = [
                str(_("The API base URL, e.g. https://apigw.trendyol.com/integration"))
            ]
        return errors

    def send(self, changes: list[Change]) -> list[Outcome]:
        items = [c for c in changes if c.topic in ITEM_TOPICS]
        orders = [c for c in changes if c.topic == TOPIC_ORDER_STATUS]
        client = self.client()
        outcomes = self._send_items(client, items) if items else []
        outcomes += [self._send_order_status(client, c) for c in orders]
        return outcomes

    # --- stock and price --------------------------------------------------------------------

    def _send_items(self, client: TrendyolClient, changes: list[Change]) -> list[Outcome]:
        channel = self.endpoint.channel
        plan = services.items_plan(channel=channel, changes=changes, stock_cap=self._stock_cap())
        failed: dict[int, Outcome] = {}  # variant id -> how its request failed
        for start in range(0, len(plan.items), MAX_ITEMS_PER_REQUEST):
            chunk = plan.items[start : start + MAX_ITEMS_PER_REQUEST]
            try:
                batch_id = client.price_and_inventory([item.wire() for item in chunk])
            except TrendyolError as error:
                wait = (
                    services.duplicate_wait(channel=channel, items=chunk) if error.duplicate else 0
                )
                if error.duplicate and wait is None:
                    # Trendyol holds exactly this request already: nothing is lost.
                    services.items_sent(channel=channel, items=chunk, batch_request_id="")
                    continue
                log.warning("trendyol price-and-inventory refused: %s", error)
                outcome = Outcome(
                    delivery_id="",
                    ok=False,
                    # The same values are taken again once the 15-minute window is over.
                    retry=error.retryable or error.duplicate,
                    error=error.message[:500],
                    retry_after=wait or error.retry_after,
                    detail={"status": error.status},
                )
                failed.update((item.variant_id, outcome) for item in chunk)
                continue
            services.items_sent(channel=channel, items=chunk, batch_request_id=batch_id)
        outcomes = []
        for change in changes:
            refused = plan.refused.get(change.delivery_id)
            if refused:
                outcomes.append(
                    Outcome(delivery_id=change.delivery_id, ok=False, retry=False, error=refused)
                )
                continue
            errors = [failed[v] for v in plan.variants_of[change.delivery_id] if v in failed]
            if errors:
                outcomes.append(replace(errors[0], delivery_id=change.delivery_id))
            else:
                outcomes.append(
                    Outcome(
                        delivery_id=change.delivery_id,
                        ok=True,
                        detail={"sent": len(plan.variants_of[change.delivery_id])},
                    )
                )
        return outcomes

    def _stock_cap(self) -> int:
        try:
            return min(int((self.endpoint.config or {}).get("stock_cap", STOCK_CAP)), STOCK_CAP)
        except (TypeError, ValueError):
            return STOCK_CAP

    # --- order packages ---------------------------------------------------------------------

    def _send_order_status(self, client: TrendyolClient, change: Change) -> Outcome:
        try:
            done = services.package_status_push(
                channel=self.endpoint.channel,
                client=client,
                order_number=str(change.payload.get("order", "")),
                status=str(change.payload.get("status", "")),
                config=self.endpoint.config or {},
            )
        except TrendyolError as error:
            return _failure(change, error)
        return Outcome(delivery_id=change.delivery_id, ok=True, detail={"sent": done})

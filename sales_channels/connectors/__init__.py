"""Connectors push committed changes (outbox events) to a channel: one class per kind of
receiver, registered by `kind`, configured per channel in the admin (see base.py)."""

from sales_channels.connectors.base import (  # noqa: F401
    CONNECTORS,
    Change,
    Connector,
    Outcome,
    connector_class,
    register,
)

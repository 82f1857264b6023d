"""Payment gateways: one class per provider behind payments.gateways.base.Gateway."""

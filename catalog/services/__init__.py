"""Every write to the catalog: products, variants, publication and prices on each channel.

Each function owns its transaction and records an outbox event in it for every change that
another channel must learn of, so the API, the admin, imports and tasks all behave alike.

A package by topic, whose public names are re-exported here (`from catalog import services;
services.prices_set(...)`): products (products, variants and their attribute values), listings
(a product's publication on a channel) and prices (a variant's price on a channel, its history
and the listings' price summary).
"""

from catalog.services.listings import (
    TOPIC_LISTING_CHANGED,
    listing_event,
    product_listing_set,
)
from catalog.services.prices import (
    CAUSE_SALE,
    TOPIC_PRICE_CHANGED,
    AdjustMode,
    PriceChange,
    SalePrice,
    price_errors,
    price_event,
    prices_bulk_adjust,
    prices_set,
    sale_active,
    sale_prices_set,
    variant_price_remove,
    variant_price_set,
)
from catalog.services.products import (
    PRODUCT_FIELDS,
    TOPIC_PRODUCT_CHANGED,
    VARIANT_FIELDS,
    attribute_key,
    attribute_values_resolve,
    product_create,
    product_save,
    product_update,
    variant_attributes_check,
    variant_create,
    variant_delete,
    variant_save,
    variant_update,
)

__all__ = [
    "CAUSE_SALE",
    "PRODUCT_FIELDS",
    "TOPIC_LISTING_CHANGED",
    "TOPIC_PRICE_CHANGED",
    "TOPIC_PRODUCT_CHANGED",
    "VARIANT_FIELDS",
    "AdjustMode",
    "PriceChange",
    "SalePrice",
    "attribute_key",
    "attribute_values_resolve",
    "listing_event",
    "price_errors",
    "price_event",
    "prices_bulk_adjust",
    "prices_set",
    "product_create",
    "product_listing_set",
    "product_save",
    "product_update",
    "sale_active",
    "sale_prices_set",
    "variant_attributes_check",
    "variant_create",
    "variant_delete",
    "variant_price_remove",
    "variant_price_set",
    "variant_save",
    "variant_update",
]

"""The product description's blocks (catalog.descriptions) for the product page's template."""

from __future__ import annotations

from django import template

from catalog.descriptions import DescriptionBlock, description_blocks

register = template.Library()


@register.filter(name="description_blocks")
def description_blocks_filter(text: str) -> list[DescriptionBlock]:
    return description_blocks(text)

"""A product description is plain text (never HTML), with three kinds of block separated by
blank lines, so a merchant writes a size table in the admin's text box and the shop still
renders it safely:

- a paragraph: any text;
- details: two or more lines, every one "Label: value" (Malzeme: %100 keten) (a single such
  line is a paragraph: "Gardırobun temeli: bir tişört" is a sentence);
- a table: lines of cells separated by "|", the first of them the header, optionally after a
  caption line (Beden tablosu (cm)).

`description_blocks` reads the text into those blocks; the storefront renders them with its
templates (escaped as any text). Feeds send the text as it is."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_DETAIL = re.compile(r"^(?P<label>[^:|]{1,40}):\s+(?P<value>\S.*)$")


@dataclass(frozen=True)
class DescriptionBlock:
    kind: str  # "paragraph" | "details" | "table"
    lines: list[str] = field(default_factory=list)  # a paragraph's lines
    details: list[tuple[str, str]] = field(default_factory=list)
    caption: str = ""
    header: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)


def description_blocks(text: str) -> list[DescriptionBlock]:
    """The blocks of a description, in order; empty for an empty text."""
    normalised = (text or "").replace("\r\n", "\n").replace("\r", "\n")
    chunks = re.split(r"\n\s*\n", normalised.strip())
    return [_block(chunk.split("\n")) for chunk in chunks if chunk.strip()]


def _block(raw: list[str]) -> DescriptionBlock:
    lines = [line.strip() for line in raw if line.strip()]
    caption = []
    while lines and "|" not in lines[0] and len(lines) > 1 and all("|" in x for x in lines[1:]):
        caption.append(lines.pop(0))
    if len(lines) >= 2 and all("|" in line for line in lines):
        cells = [[cell.strip() for cell in line.strip("|").split("|")] for line in lines]
        width = len(cells[0])
        rows = [(row + [""] * width)[:width] for row in cells[1:]]
        return DescriptionBlock(kind="table", caption=" ".join(caption), header=cells[0], rows=rows)
    lines = caption + lines
    matches = [_DETAIL.match(line) for line in lines]
    if len(lines) >= 2 and all(matches):
        details = [(m["label"].strip(), m["value"].strip()) for m in matches if m]
        return DescriptionBlock(kind="details", details=details)
    return DescriptionBlock(kind="paragraph", lines=lines)

"""An article's text, turned into blocks a template renders with autoescaping on: no HTML
written by anyone reaches a page. The little formatting there is comes from plain lines:

- a blank line separates paragraphs; a single line break stays a line break;
- "## Heading" starts a heading;
- lines starting with "- " or "• " make a list;
- a line "[图2]" (or "[image 2]") shows the article's second inline image there."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

IMAGE_MARK = re.compile(r"^\[(?:图|image)\s*(\d{1,2})\]$", re.IGNORECASE)
BULLET = re.compile(r"^[-•·]\s+")


@dataclass
class Block:
    kind: str  # "p", "h", "ul", "img"
    lines: list[str] = field(default_factory=list)
    image: Any = None


def _flush(out: list[Block], paragraph: list[str], items: list[str]) -> None:
    if paragraph:
        out.append(Block("p", list(paragraph)))
        paragraph.clear()
    if items:
        out.append(Block("ul", list(items)))
        items.clear()


def blocks(body: str, images: dict[int, Any] | None = None) -> list[Block]:
    """The text's blocks; an image mark whose image does not exist is dropped."""
    images = images or {}
    out: list[Block] = []
    for chunk in re.split(r"\n\s*\n", body.replace("\r\n", "\n").replace("\r", "\n")):
        paragraph: list[str] = []
        items: list[str] = []
        for line in (line.strip() for line in chunk.strip().split("\n")):
            if not line:
                continue
            mark = IMAGE_MARK.match(line)
            if mark:
                _flush(out, paragraph, items)
                image = images.get(int(mark.group(1)))
                if image is not None:
                    out.append(Block("img", image=image))
            elif line.startswith("#"):
                _flush(out, paragraph, items)
                out.append(Block("h", [line.lstrip("#").strip()]))
            elif BULLET.match(line):
                _flush(out, paragraph, [])
                items.append(BULLET.sub("", line))
            else:
                _flush(out, [], items)
                paragraph.append(line)
        _flush(out, paragraph, items)
    return out


def marked_images(body: str) -> set[int]:
    """The numbers of the inline images the text shows where it marks them."""
    return {
        int(found.group(1))
        for line in body.splitlines()
        if (found := IMAGE_MARK.match(line.strip()))
    }


def plain(body: str, limit: int = 120) -> str:
    """The text without its marks, cut to `limit` characters (a list's excerpt)."""
    words = " ".join(
        BULLET.sub("", line.strip()).lstrip("#").strip()
        for line in body.splitlines()
        if line.strip() and not IMAGE_MARK.match(line.strip())
    )
    return words if len(words) <= limit else words[: limit - 1] + "…"

"""A white RGB image with a few drawing helpers, for the summary picture (Pillow only)."""

from __future__ import annotations

from PIL import Image, ImageDraw

from hfwidgets.pictures import Font, load_font

__all__ = ["GRID", "INK", "MUTED", "TRAIN", "VAL", "Canvas"]

#: Colours: training and validation curves, grid lines, text, muted text (grey levels).
TRAIN, VAL, GRID, INK, MUTED = (31, 119, 180), (255, 127, 14), (225, 225, 225), 20, 110


_PLAIN = str.maketrans({"–": "-", "—": "-", "…": "..."})


class Canvas:
    """A white RGB image with a few drawing helpers (text, a panel title)."""

    def __init__(self, width: int, height: int) -> None:
        self.image = Image.new("RGB", (width, height), "white")
        self.draw = ImageDraw.Draw(self.image)
        self.small, self.body, self.title = load_font(12), load_font(14), load_font(18)

    def text(
        self,
        xy: tuple[float, float],
        text: str,
        *,
        font: Font | None = None,
        fill: int | tuple[int, int, int] = (INK,) * 3,
        anchor: str = "la",
    ) -> None:
        text = text.translate(_PLAIN)  # Pillow's built-in font has no dashes or ellipsis
        self.draw.text(xy, text, font=font or self.body, fill=fill, anchor=anchor)

    def fit(self, text: str, width: float, font: Font | None = None) -> str:
        """``text`` cut with an ellipsis so that it fits ``width`` pixels."""
        font = font or self.body
        if self.draw.textlength(text, font=font) <= width:
            return text
        while text and self.draw.textlength(text + "...", font=font) > width:
            text = text[:-1]
        return text + "..."

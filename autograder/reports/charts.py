"""Plots for the kit's pages, drawn so that everyone can read them.

* Sizes are in CSS pixels: a figure of ``w`` x ``h`` inches is shown
  ``w * CSS_DPI`` x ``h * CSS_DPI`` pixels wide and high (the browser's
  96 px per inch), and saved at twice that resolution so it stays sharp on
  high-density screens.  A font of ``s`` points is then ``s * 96 / 72`` px
  on screen at 100 % zoom: ``STYLE`` keeps the smallest text at 10 pt,
  13.3 px (``MIN_FONT_PX`` is what the tests hold every plot to).
* Colours are the Okabe-Ito palette, which readers with any common colour
  vision deficiency can tell apart, and no meaning is carried by colour
  alone: each series also has its own line style or marker, and the
  legend names it.
* Every figure is embedded as a PNG ``data:`` URI with a text alternative
  that says what the plot shows (``image``).
"""
from __future__ import annotations

import base64
import contextlib
import html
import io

import numpy as np

CSS_DPI = 96               # CSS pixels per inch
SAVE_DPI = 2 * CSS_DPI     # pixels per inch of the saved PNG (sharp at 2x zoom)
MIN_FONT_PX = 13.0         # the smallest text on a plot, in CSS px at 100 % zoom

# Okabe & Ito (2008), "Color Universal Design": distinguishable with any
# common colour vision deficiency, in this order.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
MARKERS = ("o", "s", "^", "D", "v", "P", "X")
LINESTYLES = ("-", "--", ":", "-.")

STYLE = {
    "font.size": 11,
    "axes.titlesize": 12,
    "axes.labelsize": 11,
    "xtick.labelsize": 10,
    "ytick.labelsize": 10,
    "legend.fontsize": 10,
    "figure.titlesize": 12,
    "lines.linewidth": 2.0,
    "axes.grid": True,
    "grid.alpha": 0.35,
}


@contextlib.contextmanager
def style():
    """Matplotlib settings of every plot the kit draws (fonts, colours)."""
    import matplotlib
    from cycler import cycler

    with matplotlib.rc_context({**STYLE, "axes.prop_cycle": cycler(color=list(PALETTE))}):
        yield


def figure(width: float, height: float, **subplots):
    """A new Matplotlib Figure (no pyplot) of ``width`` x ``height`` inches
    and its axes; call inside ``style()``."""
    from matplotlib.figure import Figure

    made = Figure(figsize=(width, height), layout="constrained")
    return made, made.subplots(**subplots)


def smallest_font_px(made) -> float:
    """The smallest font of the visible text of a figure, in CSS px at 100 % zoom."""
    from matplotlib.text import Text

    sizes = [text.get_fontsize() for text in made.findobj(Text) if text.get_visible() and text.get_text().strip()]
    return min(sizes) * CSS_DPI / 72 if sizes else float("inf")


def png_bytes(made) -> bytes:
    buffer = io.BytesIO()
    made.savefig(buffer, format="png", dpi=SAVE_DPI)
    return buffer.getvalue()


def image(made, alt: str) -> str:
    """An ``<img>`` holding the figure as a PNG, shown at its CSS size, with
    ``alt`` as its text alternative."""
    width, height = (int(round(size * CSS_DPI)) for size in made.get_size_inches())
    data = base64.b64encode(png_bytes(made)).decode("ascii")
    return (f"<img src=\"data:image/png;base64,{data}\" alt=\"{html.escape(alt)}\" "
            f"width=\"{width}\" height=\"{height}\">")


def number(value: float) -> str:
    """A loss or score as a sentence shows it: 0.693, 0.0012, 3.2e-07."""
    value = float(value)
    if not np.isfinite(value):
        return "NaN" if np.isnan(value) else ("infinity" if value > 0 else "minus infinity")
    return f"{value:.3g}"

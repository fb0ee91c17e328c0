"""Matplotlib figures as plain data.

A figure returned by the student's code cannot cross from the sandbox as
an object, so the runner describes it (``_describe_figure`` in
``child.py``): per axes its title, labels, limits, scales, lines, contour
sets (levels and paths), other collections (offsets and colour values),
images and texts.  ``rebuild`` draws a real ``Figure`` from that
description here, without pyplot, so a test that inspects
``fig.axes[0].collections`` sees what the student drew.  Anything the
description leaves out (colours, markers, legends) is not there to test.
"""
from __future__ import annotations

import numpy as np
from matplotlib.contour import ContourSet
from matplotlib.figure import Figure

from .wire import WireError


def _floats(value, ndim=None) -> np.ndarray:
    if type(value) is not np.ndarray or value.dtype.kind not in "biuf":
        raise WireError("figure data must be numeric arrays")
    if ndim is not None and value.ndim != ndim:
        raise WireError("figure data of the wrong shape")
    return value.astype(float)


def _text(value) -> str:
    if type(value) is not str:
        raise WireError("figure text must be a string")
    return value


def _numbers(value, count) -> list:
    if type(value) is not list or len(value) != count or any(type(v) not in (int, float) for v in value):
        raise WireError("figure bounds must be numbers")
    return [float(v) for v in value]


def rebuild(description) -> Figure:
    """A real Figure drawn from a runner's description; WireError if it is
    not a valid description."""
    try:
        return _rebuild(description)
    except WireError:
        raise
    except Exception as error:  # noqa: BLE001 - any inconsistency in untrusted data
        raise WireError(f"unusable figure description: {error}") from None


def _rebuild(description) -> Figure:
    if type(description) is not dict:
        raise WireError("figure description must be a dict")
    fig = Figure(figsize=_numbers(description.get("size"), 2))
    for entry in description.get("axes", [])[:20]:
        ax = fig.add_axes(_numbers(entry["position"], 4), label=_text(entry["label"]))
        ax.set_title(_text(entry["title"]))
        ax.set_xlabel(_text(entry["xlabel"]))
        ax.set_ylabel(_text(entry["ylabel"]))
        for line in entry["lines"][:100]:
            ax.plot(_floats(line["x"], 1), _floats(line["y"], 1), label=_text(line["label"]),
                    linestyle=_text(line["linestyle"]))
        for item in entry["collections"][:100]:
            if item["kind"] == "contour":
                segments, kinds = [], []
                for vertices, codes in item["paths"]:
                    segments.append([_floats(vertices, 2)])
                    kinds.append([None if codes is None else np.asarray(codes, dtype=np.uint8)])
                ContourSet(ax, _floats(item["levels"], 1), segments, kinds, filled=bool(item["filled"]))
            else:
                offsets = _floats(item["offsets"], 2)
                values = item["array"]
                colours = _floats(values) if values is not None else None
                if colours is not None and colours.shape != (len(offsets),):
                    colours = None
                ax.scatter(offsets[:, 0], offsets[:, 1], c=colours, label=_text(item["label"]))
        for image in entry["images"][:10]:
            ax.imshow(_floats(image["array"]), extent=_numbers(image["extent"], 4))
        for text in entry["texts"][:50]:
            ax.text(0.5, 0.5, _text(text), transform=ax.transAxes)
        if entry["xscale"] in ("linear", "log", "symlog", "logit"):
            ax.set_xscale(entry["xscale"])
        if entry["yscale"] in ("linear", "log", "symlog", "logit"):
            ax.set_yscale(entry["yscale"])
        ax.set_xlim(*_numbers(entry["xlim"], 2))
        ax.set_ylim(*_numbers(entry["ylim"], 2))
    if description.get("suptitle"):
        fig.suptitle(_text(description["suptitle"]))
    return fig

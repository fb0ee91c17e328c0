"""The scaffolding every HTML page of the kit shares, built to WCAG 2.1 AA.

One self-contained document (no script, nothing fetched), with:

* a language (``<html lang="en">``) and a title naming the page;
* landmarks: a ``header`` with a skip link and a ``nav`` of links (the way
  back to the index first), the content in ``main``, a ``footer``;
* one ``h1``, then ``h2`` and ``h3`` in order (the callers' part);
* colours with a contrast of at least 4.5:1 on their background, a visible
  keyboard focus, and marks that say "passed" or "failed" in words and
  symbols, never by colour alone;
* tables with a caption and header cells (``table``).

``tests/test_pages_accessible.py`` runs axe-core's WCAG 2.1 AA rules on
every kind of page the kit writes, in a real headless Chromium.
"""
from __future__ import annotations

import html
from typing import Iterable, Sequence

LANG = "en"

STYLE = """
:root { color-scheme: light; }
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto; max-width: 72rem;
       padding: 0 1rem 2rem; color: #1b1b1b; background: #ffffff; line-height: 1.5; font-size: 1rem; }
a { color: #0b57a4; }
a:visited { color: #6b2fa3; }
a:focus-visible, [tabindex]:focus-visible, summary:focus-visible { outline: 3px solid #b35900; outline-offset: 2px; }
.skip { position: absolute; left: -10000px; top: auto; }
.skip:focus { position: static; display: inline-block; padding: .25rem .5rem; background: #fff; }
.visually-hidden { position: absolute !important; width: 1px; height: 1px; overflow: hidden;
                   clip: rect(1px, 1px, 1px, 1px); white-space: nowrap; }
header.site { border-bottom: 2px solid #8c959f; margin-bottom: 1rem; padding: .5rem 0; }
header.site nav ul { list-style: none; display: flex; flex-wrap: wrap; gap: 1.25rem; margin: 0; padding: 0; }
footer.site { border-top: 1px solid #8c959f; margin-top: 2rem; padding-top: .5rem; color: #4a4f55; font-size: .9rem; }
h1 { margin: .5rem 0 .25rem; }
h2 { margin-top: 2rem; }
.lead { font-size: 1.15rem; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; }
caption { text-align: left; font-weight: 600; padding: .25rem 0; }
th, td { border-bottom: 1px solid #8c959f; padding: .45rem .5rem; text-align: left; vertical-align: top; }
thead th { border-bottom: 2px solid #4a4f55; }
td.number, th.number { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.passed { color: #116329; font-weight: 600; }
.failed { color: #b3261e; font-weight: 600; }
.awaiting { color: #4b4b4b; font-style: italic; }
.muted { color: #4a4f55; }
.kind { font-size: .875rem; color: #4a4f55; }
pre { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: .9rem; margin: 0;
      white-space: pre-wrap; overflow-wrap: anywhere; }
.note, .banner { background: #fff8c5; border: 1px solid #8a6a00; padding: .5rem .75rem; border-radius: 4px; }
.banner { border-left: 6px solid #8a6a00; font-size: 1.05rem; }
.plots { display: flex; flex-wrap: wrap; gap: 1.5rem; }
figure { margin: 0; max-width: 100%; }
figure img { max-width: 100%; height: auto; }
figcaption { font-size: .95rem; color: #4a4f55; max-width: 48rem; }
"""


def esc(text) -> str:
    return html.escape(str(text))


def document(title: str, body: str, *, nav: Sequence[tuple[str, str]] = (), extra_style: str = "",
             footer: str = "Written by mlpkit.") -> str:
    """A complete page: ``body`` (which starts with the page's ``h1``) in
    ``main``; ``nav`` is [(href, label)], the way back to the index first."""
    links = "".join(f"<li><a href=\"{esc(href)}\">{esc(label)}</a></li>" for href, label in nav)
    navigation = f"<nav aria-label=\"Pages\"><ul>{links}</ul></nav>\n" if links else ""
    return ("<!DOCTYPE html>\n"
            f"<html lang=\"{LANG}\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>{esc(title)}</title>\n<style>{STYLE}{extra_style}</style>\n</head>\n<body>\n"
            "<header class=\"site\">\n<a class=\"skip\" href=\"#main\">Skip to the content</a>\n"
            f"{navigation}</header>\n"
            f"<main id=\"main\" tabindex=\"-1\">\n{body}\n</main>\n"
            f"<footer class=\"site\"><p>{esc(footer)}</p></footer>\n"
            "</body>\n</html>\n")


def table(caption: str, headers: Sequence[str], rows: Iterable[Sequence[str]], *, numeric: Iterable[int] = (),
          row_headers: bool = True, attributes: str = "", row_attributes: Sequence[str] | None = None) -> str:
    """A table with a caption and header cells.  Cells are HTML already
    escaped by the caller; ``numeric`` are the column indexes aligned right;
    with ``row_headers`` the first cell of each row is its header."""
    numeric = set(numeric)

    def cls(index: int) -> str:
        return " class=\"number\"" if index in numeric else ""

    head = "".join(f"<th scope=\"col\"{cls(i)}>{esc(h)}</th>" for i, h in enumerate(headers))
    body = []
    for number, row in enumerate(rows):
        cells = []
        for i, cell in enumerate(row):
            tag = "th scope=\"row\"" if row_headers and i == 0 else "td"
            cells.append(f"<{tag}{cls(i)}>{cell}</{tag.split()[0]}>")
        extra = f" {row_attributes[number]}" if row_attributes else ""
        body.append(f"<tr{extra}>{''.join(cells)}</tr>")
    if not body:
        body.append(f"<tr><td colspan=\"{len(headers)}\">None.</td></tr>")
    return (f"<table{(' ' + attributes) if attributes else ''}>\n<caption>{esc(caption)}</caption>\n"
            f"<thead><tr>{head}</tr></thead>\n<tbody>\n" + "\n".join(body) + "\n</tbody>\n</table>")


def verdict(passed: bool, pending: bool = False) -> str:
    """Passed, failed or awaiting a person's grading, in words and a symbol
    as well as a colour."""
    if pending:
        return "<span class=\"awaiting\"><span aria-hidden=\"true\">… </span>awaiting grading</span>"
    return ("<span class=\"passed\"><span aria-hidden=\"true\">✓ </span>passed</span>" if passed else
            "<span class=\"failed\"><span aria-hidden=\"true\">✗ </span>failed</span>")


def figure_block(image: str, caption: str, kind: str = "") -> str:
    """A plot and its visible caption (the image's own alt text says what it shows)."""
    return f"<figure class=\"plot {esc(kind)}\">{image}<figcaption>{esc(caption)}</figcaption></figure>"

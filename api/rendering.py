"""Executed notebooks as HTML for the instructor's pages, safe against the student who wrote them.

Everything a notebook carries is hostile: text is escaped, HTML and markdown go through an
allow-list sanitizer, images only ever become ``<img>`` data URLs (never inline SVG). The page is
served under a strict CSP, so nothing here emits inline styles either.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup, escape

from grader.text import strip_ansi

__all__ = ["cell_label", "render_markdown", "render_notebook", "sanitize_html", "strip_ansi"]

_TAGS = frozenset({
    "h1", "h2", "h3", "h4", "h5", "h6", "p", "div", "span", "br", "hr",
    "b", "i", "em", "strong", "code", "pre", "kbd", "sub", "sup",
    "ul", "ol", "li", "dl", "dt", "dd", "blockquote",
    "table", "thead", "tbody", "tr", "th", "td", "caption", "a", "img",
})
_ATTRIBUTES = {
    "a": frozenset({"href", "title"}),
    "img": frozenset({"src", "alt", "title", "width", "height"}),
    # pandas writes multi-level headers with spans; harmless, and tables are unreadable without them
    "th": frozenset({"colspan", "rowspan"}),
    "td": frozenset({"colspan", "rowspan"}),
}
# One Cleaner, built once: nh3.clean() would rebuild the same allow-list on every call.
_CLEANER = nh3.Cleaner(
    tags=_TAGS,
    clean_content_tags=frozenset({"script", "style"}),
    attributes=_ATTRIBUTES,
    url_schemes=frozenset({"http", "https", "mailto"}),
    link_rel="noopener noreferrer nofollow",
    # A relative URL resolves to our own origin, where an <img> would fire an authenticated GET
    # (the CSP allows img-src 'self'); notebook content has no business pointing there.
    url_relative="deny",
)
_MARKDOWN = MarkdownIt("commonmark", {"html": True}).enable("table")

# CSI (colours, cursor), OSC (titles, hyperlinks), then any other ESC-intermediates-final (charsets).
_IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif")
_TEXT_TYPES = {"text/latex": "output-latex", "application/json": "output-json", "text/plain": "output-plain"}
_CELL_TYPES = frozenset({"code", "markdown", "raw"})


def sanitize_html(html: str) -> Markup:
    """Untrusted HTML reduced to an allow-list of inert tags, attributes and URL schemes."""
    return Markup(_CLEANER.clean(html))


def render_markdown(text: str) -> Markup:
    """CommonMark (raw HTML and tables allowed) rendered, then sanitized."""
    return sanitize_html(_MARKDOWN.render(text))


def _cells(nb: Any) -> list[Any]:
    cells = nb.get("cells") if isinstance(nb, Mapping) else None
    return cells if isinstance(cells, list) else []


def _count(cell: Any) -> int | None:
    count = cell.get("execution_count") if isinstance(cell, Mapping) else None
    # bool is an int; a hostile notebook could say `true`
    return count if isinstance(count, int) and not isinstance(count, bool) else None


def _kind(cell: Any) -> str | None:
    return cell.get("cell_type") if isinstance(cell, Mapping) else None


def cell_label(nb: Any, index: int) -> str:
    """Cell ``index`` (0-based, markdown cells included) as Jupyter would name it to a person.

    The names of ``CellError.label``; the pages need it only for errors stored before those carried the number.
    """
    cells = _cells(nb)
    if not 0 <= index < len(cells):
        return "the notebook"
    cell = cells[index]
    if _kind(cell) != "code":
        return f"cell {index + 1}"
    count = _count(cell)
    if count is not None:
        return f"In [{count}]"
    position = sum(1 for other in cells[: index + 1] if _kind(other) == "code")
    return f"code cell {position}"


def _text(value: Any) -> str:
    """nbformat's multiline strings: a string, or a list of strings to concatenate."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "".join(part if isinstance(part, str) else str(part) for part in value)
    return str(value)


def _note(message: str) -> Markup:
    return Markup('<p class="output-note">{}</p>').format(message)


def _pre(css_class: str, text: str) -> Markup:
    return Markup('<pre class="{}">{}</pre>').format(css_class, text)


def _image(mime: str, value: Any) -> Markup:
    payload = "".join(_text(value).split())
    try:
        valid = bool(base64.b64decode(payload, validate=True))
    except (binascii.Error, ValueError):
        valid = False
    if not valid:
        return _note(f"[{mime} output that is not valid base64: not shown]")
    # validated base64 is only [A-Za-z0-9+/=], so it cannot leave the attribute
    return Markup('<img class="output-image" alt="output image" src="data:{};base64,{}">').format(mime, payload)


def _svg(value: Any) -> Markup:
    # As an <img> the SVG is an image document: its scripts and handlers never run.
    payload = base64.b64encode(_text(value).encode("utf-8", "replace")).decode("ascii")
    return Markup('<img class="output-image" alt="output image" src="data:image/svg+xml;base64,{}">').format(payload)


def _json(value: Any) -> str:
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, indent=2, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return repr(value)


def _rich(data: Any) -> Markup:
    """A mime bundle as its richest representation we can show safely."""
    if not isinstance(data, Mapping):
        return _note("[output without a data bundle: not shown]")
    for mime in _IMAGE_TYPES:
        if mime in data:
            return _image(mime, data[mime])
    if "image/svg+xml" in data:
        return _svg(data["image/svg+xml"])
    if "text/html" in data:
        return Markup('<div class="output-html">{}</div>').format(sanitize_html(_text(data["text/html"])))
    if "text/markdown" in data:
        return Markup('<div class="output-markdown">{}</div>').format(render_markdown(_text(data["text/markdown"])))
    for mime, css_class in _TEXT_TYPES.items():
        if mime in data:
            value = data[mime]
            text = _json(value) if mime == "application/json" else _text(value)
            return _pre(f"output-text {css_class}", text)
    kinds = ", ".join(sorted(str(key) for key in data))
    return _note(f"[output of type {kinds or 'nothing'}: not shown]")


def _output(output: Any) -> Markup:
    if not isinstance(output, Mapping):
        return _note("[malformed output: not shown]")
    kind = output.get("output_type")
    if kind == "stream":
        name = "stderr" if output.get("name") == "stderr" else "stdout"
        return _pre(f"stream stream-{name}", strip_ansi(_text(output.get("text"))))
    if kind == "error":
        traceback = output.get("traceback")
        lines = [_text(line) for line in traceback] if isinstance(traceback, list) else [_text(traceback)]
        head = f"{_text(output.get('ename'))}: {_text(output.get('evalue'))}"
        return _pre("error", strip_ansi("\n".join([head, *lines]).rstrip("\n")))
    if kind in ("execute_result", "display_data"):
        return _rich(output.get("data"))
    return _note(f"[output of type {_text(kind)!r}: not shown]")


def _code(cell: Mapping[str, Any]) -> Markup:
    count = _count(cell)
    outputs = cell.get("outputs")
    parts = [
        Markup('<div class="prompt">In [{}]:</div>').format(" " if count is None else count),
        Markup('<pre class="source"><code>{}</code></pre>').format(_text(cell.get("source"))),
        Markup('<div class="outputs">'),
    ]
    if isinstance(outputs, list):
        parts.extend(_output(output) for output in outputs)
    elif outputs is not None:
        parts.append(_note("[malformed outputs: not shown]"))
    parts.append(Markup("</div>"))
    return Markup("").join(parts)


def _body(cell: Any) -> Markup:
    if not isinstance(cell, Mapping):
        return _note("[malformed cell: not shown]")
    kind = cell.get("cell_type")
    if kind == "code":
        return _code(cell)
    if kind == "markdown":
        return Markup('<div class="markdown">{}</div>').format(render_markdown(_text(cell.get("source"))))
    if kind == "raw":
        return _pre("raw", _text(cell.get("source")))
    return _note(f"[cell of type {_text(kind)!r}: not shown]")


def _cell(index: int, cell: Any, error_cells: frozenset[int]) -> Markup:
    kind = _kind(cell)
    classes = f"cell cell-{kind if kind in _CELL_TYPES else 'unknown'}"
    if index in error_cells:
        classes += " cell-error"
    try:
        body = _body(cell)
    except Exception:  # a notebook shape nobody foresaw must not take the whole page down
        body = _note("[cell that could not be rendered]")
    return Markup('<section class="{}" id="cell-{}">{}</section>').format(classes, index, body)


def render_notebook(nb: Any, *, error_cells: frozenset[int] = frozenset()) -> Markup:
    """The whole notebook as sanitized HTML; ``error_cells`` (indices into cells) are marked."""
    parts = [_cell(index, cell, error_cells) for index, cell in enumerate(_cells(nb))]
    return Markup('<div class="notebook">{}</div>').format(Markup("").join(parts))

"""api.rendering: hostile notebooks come out inert (no script can run) yet still legible."""

from __future__ import annotations

import base64
import re
import time
from collections.abc import Mapping
from typing import Any

import pytest
from nbformat import NotebookNode
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output, new_raw_cell

from api.rendering import cell_label, render_markdown, render_notebook, sanitize_html, strip_ansi
from tests.utils.html import ParsedPage, parse_html

# A real 1x1 transparent PNG.
PNG_B64 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAAC0lEQVR4nGNgAAIAAAUAAXpeqz8AAAAASUVORK5CYII="
FORBIDDEN_TAGS = {"script", "iframe", "object", "embed", "svg", "style", "form", "base", "math", "link", "meta",
                  "frame", "frameset", "applet", "noscript", "template"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "srcset", "poster", "background", "xlink:href", "data"}
BAD_SCHEMES = {"javascript", "vbscript", "data"}
SAFE_DATA_IMAGE = re.compile(r"data:image/[a-z0-9.+-]+;base64,[A-Za-z0-9+/=]*")


def scheme(url: str) -> str:
    # Browsers ignore whitespace and control characters inside a scheme: "java\tscript:" is javascript.
    squeezed = "".join(ch for ch in url if ch > " " and ch != "\x7f").lower()
    match = re.match(r"([a-z][a-z0-9+.-]*):", squeezed)
    return match.group(1) if match else ""


def assert_inert(html: str) -> ParsedPage:
    """Nothing in ``html`` can execute script, load a frame or carry a style."""
    collector = parse_html(html)
    for tag, attrs in collector.start_tags:
        assert tag not in FORBIDDEN_TAGS, (tag, attrs)
        for name, value in attrs:
            assert not name.startswith("on"), (tag, name, value)
            assert name != "style", (tag, value)
            if name in URL_ATTRIBUTES and value is not None:
                if tag == "img" and name == "src" and SAFE_DATA_IMAGE.fullmatch(value):
                    continue
                assert scheme(value) not in BAD_SCHEMES, (tag, name, value)
    return collector


def notebook(*cells: Mapping[str, Any]) -> NotebookNode:
    nb: NotebookNode = new_notebook(cells=list(cells))
    return nb


def output_cell(*outputs: NotebookNode, source: str = "x") -> NotebookNode:
    cell: NotebookNode = new_code_cell(source, outputs=list(outputs), execution_count=1)
    return cell


def rich(data: dict[str, Any], output_type: str = "display_data") -> NotebookNode:
    extra: dict[str, Any] = {"execution_count": 1} if output_type == "execute_result" else {}
    return output_cell(new_output(output_type, data=data, **extra))


HOSTILE_MARKDOWN = """# Visible title

<script>window.pwned=1</script>

<img src=x onerror="window.pwned=1">

<iframe src="https://evil.example/"></iframe>

[click here](javascript:alert(1)) and <a href="jav&#x09;ascript:alert(1)">tabbed link</a>

<a href="data:text/html,<script>alert(1)</script>">data link</a>

<form action="https://evil.example/"><input name=q></form><base href="https://evil.example/">

<math><mtext>maths</mtext></math><object data="evil.swf"></object><embed src="evil.swf">

visible **markdown** text
"""
HOSTILE_SVG = ('<svg xmlns="http://www.w3.org/2000/svg" onload="window.pwned=1">'
               '<script>window.pwned=1</script><text>svg text</text></svg>')
IMG_ONERROR = "<img src=x onerror=alert(1)>"

# (notebook, substrings of the HTML that show the content is still visible, substrings that must be gone)
HOSTILE: dict[str, tuple[Mapping[str, Any], list[str], list[str]]] = {
    "html-script": (rich({"text/html": "<p>visible html</p><script>window.pwned=1</script>"}),
                    ["<p>visible html</p>"], ["window.pwned", "<script"]),
    "html-img-onerror": (rich({"text/html": '<img src=x onerror="window.pwned=1"><p>after image</p>'},
                              "execute_result"),
                         ["<p>after image</p>"], ["onerror", "pwned"]),
    "html-javascript-link": (rich({"text/html": '<a href="javascript:window.pwned=1">click me</a>'}),
                             ["click me"], ["javascript:"]),
    "html-style": (rich({"text/html": '<style>body{display:none}</style><p style="color:red">styled text</p>'}),
                   ["<p>styled text</p>"], ["display:none", "color:red"]),
    "html-frames-and-forms": (rich({"text/html": '<iframe src="https://evil.example/">framed</iframe>'
                                                 '<form action="/x"><button formaction="/y">go</button></form>'
                                                 '<base href="https://evil.example/"><object data="a"></object>'
                                                 '<embed src="a"><svg onload="alert(1)"><circle/></svg>'}),
                              ["framed", "go"], ["evil.example", "onload"]),
    "svg-output": (rich({"image/svg+xml": HOSTILE_SVG, "text/plain": "<Figure>"}),
                   ['src="data:image/svg+xml;base64,' + base64.b64encode(HOSTILE_SVG.encode()).decode() + '"'],
                   ["<svg", "onload", "window.pwned"]),
    "markdown-cell": (notebook(new_markdown_cell(HOSTILE_MARKDOWN)),
                      ["Visible title", "<strong>markdown</strong>", "click here", "tabbed link", "data link"],
                      ["window.pwned", "evil.example", 'href="jav']),
    "markdown-output": (rich({"text/markdown": HOSTILE_MARKDOWN, "text/plain": "md"}),
                        ["Visible title", "<strong>markdown</strong>", "click here"],
                        ["window.pwned", "evil.example"]),
    "error-output": (output_cell(new_output("error", ename=f"Value{IMG_ONERROR}", evalue=f"bad {IMG_ONERROR}",
                                            traceback=[f"\x1b[0;31m{IMG_ONERROR}\x1b[0m", "line 2"])),
                     ["Value&lt;img src=x onerror=alert(1)&gt;: bad &lt;img src=x onerror=alert(1)&gt;",
                      "\n&lt;img src=x onerror=alert(1)&gt;\nline 2"], ["\x1b", "<img src=x"]),
    "stream-output": (output_cell(new_output("stream", name="stderr", text="</pre><script>window.pwned=1</script>")),
                      ['<pre class="stream stream-stderr">&lt;/pre&gt;&lt;script&gt;window.pwned=1'], ["<script"]),
    "code-source": (notebook(new_code_cell("print(1)</code></pre><script>window.pwned=1</script>")),
                    ["print(1)&lt;/code&gt;&lt;/pre&gt;&lt;script&gt;"], ["<script"]),
    "raw-cell": (notebook(new_raw_cell("<script>window.pwned=1</script>")),
                 ['<pre class="raw">&lt;script&gt;'], ["<script"]),
    "png-not-base64": (rich({"image/png": '"><script>window.pwned=1</script>', "text/plain": "fig"}),
                       ["not valid base64"], ["<img", "<script", "pwned"]),
    "javascript-output": (rich({"application/javascript": "window.pwned=1"}),
                          ["application/javascript"], ["pwned", "<script"]),
    "hostile-shapes": ({"cells": [{"cell_type": '"><script>x</script>', "source": "s"},
                                           {"cell_type": "code", "source": "s", "outputs": [],
                                            "execution_count": "<script>alert(1)</script>"},
                                           {"cell_type": "code", "source": "s", "outputs": [
                                               {"output_type": "stream", "name": '"><script>', "text": "t"},
                                               {"output_type": "<script>alert(1)</script>"}]}]},
                       ['class="cell cell-unknown"', "In [ ]:", "stream stream-stdout", "&lt;script&gt;"],
                       ["<script"]),
}


def as_notebook(value: Mapping[str, Any]) -> Mapping[str, Any]:
    return value if "cells" in value else notebook(value)


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_content_is_inert_and_still_shown(case: str) -> None:
    nb, shown, gone = HOSTILE[case]
    html = str(render_notebook(as_notebook(nb)))
    assert_inert(html)
    for text in shown:
        assert text in html, (text, html)
    for text in gone:
        assert text not in html, (text, html)


def test_svg_is_never_inline_but_an_image() -> None:
    html = str(render_notebook(notebook(rich({"image/svg+xml": HOSTILE_SVG}))))
    images = [dict(attrs) for tag, attrs in assert_inert(html).start_tags if tag == "img"]
    assert len(images) == 1
    src = images[0]["src"] or ""
    assert src.startswith("data:image/svg+xml;base64,")
    assert base64.b64decode(src.split(",", 1)[1]).decode() == HOSTILE_SVG


def test_valid_png_becomes_an_image_with_its_data_url() -> None:
    wrapped = PNG_B64[:40] + "\n" + PNG_B64[40:] + "\n"  # nbformat writers may wrap base64
    html = str(render_notebook(notebook(rich({"image/png": wrapped, "text/plain": "<Figure size 1x1>"}))))
    images = [dict(attrs) for tag, attrs in assert_inert(html).start_tags if tag == "img"]
    assert images == [{"class": "output-image", "alt": "output image", "src": f"data:image/png;base64,{PNG_B64}"}]
    assert "Figure size" not in html  # the image wins over its text/plain


def test_image_priority_and_text_fallbacks() -> None:
    both = str(render_notebook(notebook(rich({"image/jpeg": PNG_B64, "text/html": "<b>x</b>"}))))
    assert "data:image/jpeg;base64," in both and "<b>x</b>" not in both
    as_json = str(render_notebook(notebook(rich({"application/json": {"a": [1, "<b>"]}, "text/plain": "plain"}))))
    assert '<pre class="output-text output-json">{\n  &#34;a&#34;: [\n    1,' in as_json
    latex = str(render_notebook(notebook(rich({"text/latex": ["$x", " < y$"]}))))
    assert '<pre class="output-text output-latex">$x &lt; y$</pre>' in latex


def test_pandas_table_survives_sanitizing() -> None:
    table = ('<div><table border="1" class="dataframe"><thead><tr style="text-align: right;"><th></th>'
             '<th colspan="2">a</th></tr></thead><tbody><tr><th>0</th><td>1</td><td>2</td></tr></tbody></table></div>')
    html = str(render_notebook(notebook(rich({"text/html": table, "text/plain": "df"}, "execute_result"))))
    tags = [tag for tag, _ in assert_inert(html).start_tags]
    for tag in ("table", "thead", "tbody", "tr", "th", "td"):
        assert tag in tags
    assert '<th colspan="2">a</th>' in html and "<td>1</td>" in html


def test_markdown_renders_bold_tables_and_safe_links() -> None:
    html = str(render_markdown("**bold** [site](https://example.org)\n\n| a | b |\n|---|--:|\n| 1 | 2 |\n"))
    assert "<strong>bold</strong>" in html
    assert '<a href="https://example.org" rel="noopener noreferrer nofollow">site</a>' in html
    assert "<td>1</td>" in html
    assert_inert(html)  # markdown-it aligns columns with style=, which must be gone


def test_markdown_cell_goes_in_a_markdown_div() -> None:
    html = str(render_notebook(notebook(new_markdown_cell(["*a*", " b"]))))
    assert '<section class="cell cell-markdown" id="cell-0"><div class="markdown"><p><em>a</em> b</p>' in html


def test_sanitize_html_allow_list() -> None:
    assert str(sanitize_html('<a href="mailto:t@example.org" rel="opener" target="_blank">m</a>')) == (
        '<a href="mailto:t@example.org" rel="noopener noreferrer nofollow">m</a>')
    # data: URLs only ever come from our own base64 checks, never from student HTML
    assert str(sanitize_html(f'<img src="data:image/png;base64,{PNG_B64}" alt="a">')) == '<img alt="a">'
    # relative URLs would point at this service itself
    assert str(sanitize_html('<img src="/logout"><a href="../x">r</a>')) == (
        '<img><a rel="noopener noreferrer nofollow">r</a>')
    assert str(sanitize_html('<div id="x" class="y"><span>s</span></div>')) == "<div><span>s</span></div>"


def test_strip_ansi() -> None:
    coloured = "\x1b[0;31mValueError\x1b[0m: \x1b[1;32mbad\x1b[39;49m\x1b]0;title\x07 \x1b(B!"
    assert strip_ansi(coloured) == "ValueError: bad !"
    assert strip_ansi("plain [1] text") == "plain [1] text"


def label_notebook() -> NotebookNode:
    return notebook(new_markdown_cell("intro"), new_code_cell("a", execution_count=7), new_code_cell("b"),
                    new_raw_cell("r"), new_code_cell("c"))


@pytest.mark.parametrize(("index", "label"), [
    (0, "cell 1"), (1, "In [7]"), (2, "code cell 2"), (3, "cell 4"), (4, "code cell 3"),
    (-1, "the notebook"), (5, "the notebook"), (99, "the notebook"),
])
def test_cell_label(index: int, label: str) -> None:
    assert cell_label(label_notebook(), index) == label


def test_cell_label_of_odd_notebooks() -> None:
    assert cell_label({}, 0) == "the notebook"
    assert cell_label({"cells": None}, 0) == "the notebook"
    assert cell_label({"cells": [None]}, 0) == "cell 1"
    assert cell_label({"cells": [{"cell_type": "code", "execution_count": True}]}, 0) == "code cell 1"


def test_structure_prompts_and_error_cells() -> None:
    html = str(render_notebook(label_notebook(), error_cells=frozenset({1, 4})))
    assert html.startswith('<div class="notebook"><section class="cell cell-markdown" id="cell-0">')
    assert html.endswith("</section></div>")
    assert '<section class="cell cell-code cell-error" id="cell-1"><div class="prompt">In [7]:</div>' in html
    assert '<section class="cell cell-code" id="cell-2"><div class="prompt">In [ ]:</div>' in html
    assert '<pre class="source"><code>b</code></pre><div class="outputs"></div>' in html
    assert '<section class="cell cell-raw" id="cell-3"><pre class="raw">r</pre>' in html
    assert 'class="cell cell-code cell-error" id="cell-4"' in html
    sections = [dict(attrs) for tag, attrs in assert_inert(html).start_tags if tag == "section"]
    assert [s["id"] for s in sections] == [f"cell-{i}" for i in range(5)]


def test_stream_text_as_a_list_and_error_layout() -> None:
    nb = output_cell(new_output("stream", name="stdout", text=["a\n", "b\n"]),
                     new_output("error", ename="ZeroDivisionError", evalue="division by zero",
                                traceback=["\x1b[31mTraceback\x1b[0m", "1/0"]))
    html = str(render_notebook(notebook(nb)))
    assert '<pre class="stream stream-stdout">a\nb\n</pre>' in html
    assert '<pre class="error">ZeroDivisionError: division by zero\nTraceback\n1/0</pre>' in html


MALFORMED: list[Any] = [
    {"cell_type": "code", "source": "ok", "outputs": None},
    {"cell_type": "code", "source": None, "outputs": []},
    {"cell_type": "code"},
    {"cell_type": "code", "source": ["a", 1, None], "outputs": "not a list"},
    {"cell_type": "code", "source": "s", "outputs": [None, 3, "x", {}]},
    {"cell_type": "code", "source": "s", "outputs": [{"output_type": "display_data", "data": "not a dict"}]},
    {"cell_type": "code", "source": "s", "outputs": [{"output_type": "execute_result", "data": None}]},
    {"cell_type": "code", "source": "s", "outputs": [{"output_type": "display_data", "data": {}}]},
    {"cell_type": "code", "source": "s", "outputs": [{"output_type": "display_data", "data": {
        "image/png": None, "text/html": 5}}]},
    {"cell_type": "code", "source": "s", "outputs": [{"output_type": "display_data", "data": {
        "image/svg+xml": ["<svg>", 2], "application/json": object()}}]},
    {"cell_type": "code", "source": "s", "outputs": [{"output_type": "display_data", "data": {
        "application/json": {"cycle": []}}}]},
    {"cell_type": "code", "source": "s", "outputs": [{"output_type": "error", "traceback": None}]},
    {"cell_type": "code", "source": "s", "outputs": [{"output_type": "error", "traceback": "one string"}]},
    {"cell_type": "code", "source": "s", "outputs": [{"output_type": "stream"}]},
    {"cell_type": "markdown", "source": None},
    {"cell_type": "markdown", "source": ["# a", None]},
    {"cell_type": "raw"},
    {"source": "no type"},
    None,
    "a string",
    [1, 2],
]


@pytest.mark.parametrize("cell", MALFORMED, ids=[str(i) for i in range(len(MALFORMED))])
def test_malformed_cells_do_not_raise_and_the_rest_renders(cell: Any) -> None:
    nb = {"cells": [cell, {"cell_type": "markdown", "source": "still **here**"}]}
    html = str(render_notebook(nb))
    assert_inert(html)
    assert 'id="cell-1"><div class="markdown"><p>still <strong>here</strong>' in html


def test_unserialisable_json_falls_back_to_repr() -> None:
    cyclic: dict[str, Any] = {}
    cyclic["self"] = cyclic
    nb = {"cells": [{"cell_type": "code", "source": "s", "outputs": [
        {"output_type": "display_data", "data": {"application/json": cyclic}}]}]}
    html = str(render_notebook(nb))
    assert_inert(html)
    assert '<pre class="output-text output-json">{&#39;self&#39;: {...}}</pre>' in html


@pytest.mark.parametrize("nb", [None, {}, {"cells": None}, {"cells": "x"}, [], "nb"])
def test_notebooks_without_cells_render_empty(nb: Any) -> None:
    assert str(render_notebook(nb)) == '<div class="notebook"></div>'


def test_large_notebook_renders_fast() -> None:
    big = ("x" * 99 + "\n") * 10_000  # 1 MB of output
    cells = [new_code_cell(f"print({i})", execution_count=i,
                           outputs=[new_output("stream", name="stdout", text=f"{i}\n")]) for i in range(199)]
    cells.append(new_code_cell("print(big)", outputs=[new_output("stream", name="stdout", text=big)]))
    nb = notebook(*cells)
    start = time.perf_counter()
    html = render_notebook(nb)
    elapsed = time.perf_counter() - start
    assert len(html) > 1_000_000
    assert elapsed < 1.0, elapsed

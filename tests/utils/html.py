"""A page's tags as Python's own HTML parser sees them (for asserting on what a browser would get)."""

from __future__ import annotations

from html.parser import HTMLParser


class ParsedPage(HTMLParser):
    """Every start tag with its attributes (repeats kept), the text shown, and each <script>'s body."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.start_tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.text: list[str] = []
        self.script_bodies: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.start_tags.append((tag, attrs))
        if tag == "script":
            self._in_script = True
            self.script_bodies.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.script_bodies[-1] += data
        else:
            self.text.append(data)

    def all(self, tag: str) -> list[dict[str, str]]:
        """The attributes of every ``tag`` (a valueless attribute as "")."""
        return [{name: value or "" for name, value in attrs} for name_, attrs in self.start_tags if name_ == tag]

    def urls(self) -> list[str]:
        return [value or "" for _, attrs in self.start_tags for name, value in attrs if name in ("src", "href")]


def parse_html(text: str) -> ParsedPage:
    page = ParsedPage()
    page.feed(text)
    page.close()
    return page

"""What a person reads on a page, and the API words that must not be in it.

Screens speak business: no machine codes (SUPPLIER_VALIDATION_FAILED, PAID), no API field names (amountPaid,
customer.tin, lines[0].tax_scheme), no routes (GET /api/v1/…). Only what is shown counts: attributes, scripts and a
"Technical details" disclosure are left out.
"""

import re
from html.parser import HTMLParser

API_WORDS = re.compile(
    r"\b[A-Z][A-Z0-9]+(?:_[A-Z0-9]+)+\b"  # UPPER_SNAKE machine codes
    r"|\b(?:PAID|PARTIAL|UNPAID)\b"  # the API's payment states
    r"|\b[a-z]+[A-Z][A-Za-z]*\b"  # camelCase field names
    r"|\b(?:customer|lines?\[\d+\])\.[a-z_]+\b"  # dotted field names
    r"|\blines\[\d+\]"
    r"|\b(?:GET|POST|PATCH|PUT|DELETE) /"  # HTTP verbs and paths
)


class _Text(HTMLParser):
    HIDDEN = {"script", "style", "template", "head"}

    def __init__(self):
        super().__init__()
        self.parts, self.skip, self.details = [], 0, 0

    def handle_starttag(self, tag, attrs):
        if tag in self.HIDDEN:
            self.skip += 1
        if tag == "details":
            self.details += 1

    def handle_endtag(self, tag):
        if tag in self.HIDDEN:
            self.skip = max(self.skip - 1, 0)
        if tag == "details":
            self.details = max(self.details - 1, 0)

    def handle_data(self, data):
        if not self.skip and not self.details:
            self.parts.append(data)


def visible_text(html: str, start: str | None = None) -> str:
    """The page's shown text (from `start`, a piece of markup, if given), whitespace folded."""
    if start is not None:
        html = html[html.index(start) :]
    parser = _Text()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def api_words(html: str, start: str | None = None) -> list[str]:
    """The API names and codes a person would read on the page (none, on a page that speaks plainly)."""
    return API_WORDS.findall(visible_text(html, start))

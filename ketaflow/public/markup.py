"""Restricted Markdown for content pages and FAQ answers: the one renderer for public pages and preview.

Allowed: paragraphs, ``##``/``###`` headings (``#`` becomes ``##``: the page title is the only ``h1``),
bullet and numbered lists, ``**bold**``, ``*italic*`` and links to ``https://``, ``http://``,
``mailto:``, ``tel:`` or site paths (``/faq/``). Raw HTML is never passed through: it is escaped, so
nothing typed in the staff UI can inject markup or scripts.
"""

from __future__ import annotations

from typing import Any

from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

_ALLOWED_SCHEMES = ("https://", "http://", "mailto:", "tel:")


def _safe_link(url: str) -> bool:
    lowered = url.strip().lower()
    if lowered.startswith("//"):
        return False
    return lowered.startswith(_ALLOWED_SCHEMES) or lowered.startswith(("/", "#"))


def _parser() -> MarkdownIt:
    md = MarkdownIt("zero", {"html": False, "linkify": False, "typographer": False})
    md.enable(["heading", "lheading", "list", "emphasis", "link", "escape", "newline"])
    md.validateLink = _safe_link  # type: ignore[method-assign]
    return md


_MD = _parser()


def _restrict(tokens: list[Any]) -> None:
    for token in tokens:
        if token.type in {"heading_open", "heading_close"} and token.tag == "h1":
            token.tag = "h2"
        if token.type == "link_open":
            href = token.attrGet("href") or ""
            if href.startswith(("http://", "https://")):
                token.attrSet("rel", "noopener noreferrer")
        if token.children:
            _restrict(token.children)


def render_markup(text: str) -> SafeString:
    """HTML for ``text`` (restricted Markdown). Safe to output unescaped: the parser escapes all HTML."""
    tokens = _MD.parse(text or "")
    _restrict(tokens)
    return mark_safe(_MD.renderer.render(tokens, _MD.options, {}))  # noqa: S308 - parser output, HTML disabled

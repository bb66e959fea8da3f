"""Django's form renderer with the common widgets written in Python.

Each widget Django renders goes through its template (``input.html`` including ``attrs.html``; ``select.html``
including one ``select_option.html`` per choice), which costs 0.3-1 ms per field; a session page has about 20
fields. The inputs, selects, options and text areas below produce exactly the HTML of Django's own templates
(``ketaflow/core/tests/test_form_renderer.py`` renders every field of every form in the project both ways and
compares; like Django's renderer, the outer whitespace of a widget's HTML is stripped, so only an included
option keeps its trailing newline). Any other widget, or any template a project overrides, goes through the
templates as before.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.forms.renderers import DjangoTemplates
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

WIDGETS = "django/forms/widgets/"


def _attrs(attrs: dict[str, Any]) -> str:
    out = []
    for name, value in attrs.items():
        if value is False:
            continue
        if value is True:
            out.append(f" {conditional_escape(name)}")
        else:
            out.append(f' {conditional_escape(name)}="{conditional_escape(_s(value))}"')
    return "".join(out)


def _s(value: Any) -> Any:
    """The ``stringformat:'s'`` filter: ``"%s" % value``, keeping a safe string safe."""
    return value if isinstance(value, str) else "%s" % (value,)  # noqa: UP031 - the filter's exact semantics


def _input(widget: dict[str, Any]) -> str:
    value = widget["value"]
    shown = "" if value is None else f' value="{conditional_escape(_s(value))}"'
    return (
        f'<input type="{conditional_escape(widget["type"])}" name="{conditional_escape(widget["name"])}"'
        f"{shown}{_attrs(widget['attrs'])}>"
    )


def _option(option: dict[str, Any]) -> str | None:
    if option.get("template_name") != WIDGETS + "select_option.html":
        return None
    return (
        f'<option value="{conditional_escape(_s(option["value"]))}"{_attrs(option["attrs"])}>'
        f"{conditional_escape(option['label'])}</option>\n"
    )


def _select(widget: dict[str, Any]) -> str | None:
    parts = [f'<select name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{conditional_escape(group_name)}">')
        for option in group_choices:
            html = _option(option)
            if html is None:
                return None
            parts.append(f"\n  {html}")
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


def _textarea(widget: dict[str, Any]) -> str:
    value = widget["value"]
    return (
        f'<textarea name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>\n'
        f"{conditional_escape(value) if value else ''}</textarea>"
    )


FAST: dict[str, Callable[[dict[str, Any]], str | None]] = {
    **{
        f"{WIDGETS}{name}.html": _input
        for name in (
            "input",
            "text",
            "number",
            "email",
            "password",
            "hidden",
            "date",
            "datetime",
            "time",
            "url",
            "tel",
            "search",
            "color",
            "checkbox",
        )
    },
    WIDGETS + "select.html": _select,
    WIDGETS + "textarea.html": _textarea,
}


class FastWidgetRenderer(DjangoTemplates):
    """``FORM_RENDERER``: the widgets in ``FAST`` in Python, everything else through Django's templates."""

    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> SafeString:
        fast = FAST.get(template_name)
        if fast is not None and "widget" in context:
            html = fast(context["widget"])
            if html is not None:
                return mark_safe(html)  # noqa: S308 - every value above went through conditional_escape
        return mark_safe(super().render(template_name, context, request))  # noqa: S308 - Django's own output

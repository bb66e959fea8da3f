"""The fast widget renderer writes exactly the HTML Django's widget templates write, for every form we have."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from typing import Any

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

import ketaflow
from ketaflow.core.form_renderer import FastWidgetRenderer

SLOW, FAST = DjangoTemplates(), FastWidgetRenderer()
TRICKY = "<b>\"Tom\" & 'Jerry'</b>"


class EveryWidget(forms.Form):
    text = forms.CharField(initial=TRICKY, help_text="help", max_length=20)
    number = forms.DecimalField(initial=12.5, min_value=0, required=False)
    email = forms.EmailField(initial=None, required=False)
    secret = forms.CharField(widget=forms.PasswordInput(render_value=True), initial="x<y")
    hidden = forms.CharField(widget=forms.HiddenInput, initial=mark_safe("<safe>"))  # noqa: S308 - test input
    day = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), required=False)
    when = forms.TimeField(widget=forms.TimeInput(attrs={"type": "time", "step": 60}))
    url = forms.URLField(
        required=False, assume_scheme="https", widget=forms.URLInput(attrs={"data-x": True, "data-y": False})
    )
    tick = forms.BooleanField(initial=True, required=False)
    untick = forms.BooleanField(required=False)
    choice = forms.ChoiceField(choices=[("", "—"), ("a", TRICKY), ("b", gettext_lazy("Bee"))], initial="a")
    grouped = forms.ChoiceField(
        choices=[("Fruit", [("apple", "Apple"), ("pear", "Pear")]), ("other", "Other")], initial="pear"
    )
    many = forms.MultipleChoiceField(choices=[(1, "One"), (2, "Two"), (3, "Three")], initial=[1, 3])
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), initial=TRICKY, required=False)
    empty_notes = forms.CharField(widget=forms.Textarea, required=False)
    radio = forms.ChoiceField(widget=forms.RadioSelect, choices=[("y", "Yes"), ("n", "No")])  # falls back


def _render_all(form: forms.BaseForm) -> list[tuple[str, str, str]]:
    out = []
    for bound in form:
        form.renderer = SLOW
        slow = bound.as_widget(attrs={"aria-describedby": "x_help"})
        form.renderer = FAST
        fast = bound.as_widget(attrs={"aria-describedby": "x_help"})
        out.append((bound.name, slow, fast))
    return out


@pytest.mark.parametrize(
    "data",
    [
        None,
        {"text": TRICKY + "!", "number": "abc", "tick": "on", "choice": "b", "many": ["2"], "notes": "a\nb"},
    ],
)
def test_every_widget_kind_renders_identically(data: dict[str, Any] | None) -> None:
    rendered = _render_all(EveryWidget(data))
    assert len(rendered) == len(EveryWidget.base_fields)
    for name, slow, fast in rendered:
        assert fast == slow, name
    assert (
        "&lt;b&gt;&quot;Tom&quot; &amp; &#x27;Jerry&#x27;&lt;/b&gt;" in {n: s for n, s, _ in rendered}["text"]
    )


def _project_forms() -> list[type[forms.BaseForm]]:
    found: dict[str, type[forms.BaseForm]] = {}
    for module_info in pkgutil.walk_packages(ketaflow.__path__, "ketaflow."):
        name = module_info.name
        if "tests" in name.split(".") or not name.rsplit(".", 1)[-1].startswith("forms"):
            continue
        module = importlib.import_module(name)
        for _, obj in inspect.getmembers(module, inspect.isclass):
            if issubclass(obj, forms.BaseForm) and obj.__module__ == name:
                found[f"{name}.{obj.__name__}"] = obj
    return [found[key] for key in sorted(found)]


@pytest.mark.django_db
def test_every_project_form_renders_identically(clinic: Any) -> None:
    checked = 0
    for form_class in _project_forms():
        try:
            form = form_class()
        except TypeError:  # needs arguments (a user, a location): covered by the kinds above
            continue
        for name, slow, fast in _render_all(form):
            assert fast == slow, f"{form_class.__name__}.{name}"
            checked += 1
    assert checked > 100


def test_only_uncommon_widgets_go_through_the_templates(monkeypatch: pytest.MonkeyPatch) -> None:
    through_templates: list[str] = []
    original = DjangoTemplates.render

    def counting(self: Any, template_name: str, context: Any, request: Any = None) -> str:
        through_templates.append(template_name)
        return original(self, template_name, context, request)

    monkeypatch.setattr(DjangoTemplates, "render", counting)
    form = EveryWidget()
    form.renderer = FAST
    for bound in form:
        bound.as_widget()
    assert through_templates == ["django/forms/widgets/radio.html"]

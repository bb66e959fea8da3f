"""Forms of the measurement workflow: the next-day check-in, review and task notes.

Questionnaires reuse intake's ``QuestionnaireForm`` (one radio group per item of a domain instrument).
"""

from __future__ import annotations

from typing import Any

from django import forms

from ketaflow.outcomes.services import SIDE_EFFECTS, URINARY

NONE_WITH_OTHERS = "“None of these” cannot be ticked together with a symptom."
MOOD_CHOICES = [(str(v), str(v)) for v in range(11)]


def _exclusive_none(values: list[str]) -> list[str]:
    if "none" in values and len(values) > 1:
        raise forms.ValidationError(NONE_WITH_OTHERS)
    return values


class CheckInForm(forms.Form):
    side_effects = forms.MultipleChoiceField(
        label="Since your treatment, have you had any of these?",
        choices=SIDE_EFFECTS,
        widget=forms.CheckboxSelectMultiple,
        help_text="Tick all that apply, or “None of these”.",
    )
    urinary = forms.MultipleChoiceField(
        label="Any problems passing urine?",
        choices=URINARY,
        widget=forms.CheckboxSelectMultiple,
        help_text="Tick all that apply, or “None of these”.",
    )
    mood = forms.TypedChoiceField(
        label="How is your mood today, from 0 (very low) to 10 (very good)?",
        choices=MOOD_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
    )
    suicidal_thoughts = forms.TypedChoiceField(
        label="Since your treatment, have you had thoughts of ending your life or of hurting yourself?",
        choices=(("no", "No"), ("yes", "Yes")),
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )

    def clean_side_effects(self) -> list[str]:
        return _exclusive_none(self.cleaned_data["side_effects"])

    def clean_urinary(self) -> list[str]:
        return _exclusive_none(self.cleaned_data["urinary"])


class NoteForm(forms.Form):
    note = forms.CharField(label="Note", max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


class TaskActionForm(forms.Form):
    note = forms.CharField(
        label="Note", max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, note_required: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["note"].required = note_required

from __future__ import annotations

from typing import Any

from django import forms
from django_otp.plugins.otp_totp.models import TOTPDevice

BAD_CODE = (
    "That code is not right or has expired. Enter the current 6-digit code from your authenticator app."
)


class TotpForm(forms.Form):
    code = forms.CharField(
        label="6-digit code",
        min_length=6,
        max_length=6,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )

    def __init__(self, *args: Any, device: TOTPDevice | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.device = device

    def clean_code(self) -> str:
        code = self.cleaned_data["code"].strip()
        if not code.isdigit():
            raise forms.ValidationError("The code is 6 digits.")
        if self.device is None or not self.device.verify_token(code):
            raise forms.ValidationError(BAD_CODE)
        return code

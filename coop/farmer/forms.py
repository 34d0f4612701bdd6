from django import forms
from django.utils.translation import gettext_lazy as _

from coop.validators import normalize_mobile, validate_mobile


class SignInForm(forms.Form):
    phone = forms.CharField(label=_("手机号"), max_length=20,
                            widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel",
                                                          "placeholder": "138 0000 1234"}))
    pin = forms.CharField(label=_("6位密码"), max_length=6, min_length=6,
                          error_messages={"min_length": _("密码是6位数字。"), "max_length": _("密码是6位数字。")},
                          widget=forms.PasswordInput(attrs={"inputmode": "numeric", "autocomplete": "current-password",
                                                            "pattern": "[0-9]*", "maxlength": "6"}))

    def clean_phone(self):
        phone = normalize_mobile(self.cleaned_data["phone"])
        validate_mobile(phone)
        return phone

    def clean_pin(self):
        pin = self.cleaned_data["pin"].strip()
        if not pin.isdigit():
            raise forms.ValidationError(_("密码是6位数字。"))
        return pin

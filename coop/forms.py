"""Forms of the collective: household sign-in, intake, packing, settlement runs, the farmer admin form and
the admin sign-in with its lockout."""

import datetime
import uuid

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from coop.lib.client import client_ip
from coop.lib.errors import DomainError
from coop.lib.validators import is_ascii_digits, normalize_mobile, validate_mobile
from coop.models import GRADES, REJECT_DEFECTS, WEIGHT_CLASSES, Farmer
from coop.services import accounts
from coop.services.farmers import search_farmers


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
        if not is_ascii_digits(pin):  # Arabic-Indic "١٢٣٤٥٦" counts as digits to str: only 0–9 are a PIN
            raise forms.ValidationError(_("密码是6位数字。"))
        return pin


COUNT_ATTRS = {"inputmode": "numeric", "pattern": "[0-9]*", "min": "0", "class": "count"}


def _count_field(label):
    return forms.IntegerField(label=label, min_value=0, required=False,
                              widget=forms.NumberInput(attrs=COUNT_ATTRS))


MAX_SUGGESTED = 5  # households named when a search matches several


class IntakeForm(forms.Form):
    """One delivery as the inspector counts it. The service does the real checks."""

    farmer = forms.CharField(label=_("农户（社员编号、姓名或拼音首字母）"), max_length=80,
                             widget=forms.TextInput(attrs={"list": "farmer-list", "autocomplete": "off",
                                                           "class": "big-input"}))
    eggs_brought = forms.IntegerField(label=_("交来枚数"), min_value=0,
                                      widget=forms.NumberInput(attrs=COUNT_ATTRS | {"class": "count big-input"}))
    # <input type=date> only takes ISO dates; the zh-hans default format (2026/11/28) would leave it empty.
    laid_from = forms.DateField(label=_("产蛋起始日"),
                                widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    laid_to = forms.DateField(label=_("产蛋截止日"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    note = forms.CharField(label=_("备注"), max_length=200, required=False)
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64, required=False)

    def __init__(self, *args, cooperative, **kwargs):
        super().__init__(*args, **kwargs)
        self.cooperative = cooperative
        for code, label in WEIGHT_CLASSES:
            self.fields[f"accepted_{code.lower()}"] = _count_field(label)
        for code, label in REJECT_DEFECTS:
            self.fields[f"rejected_{code}"] = _count_field(label)
        if not self.is_bound:
            today = timezone.localdate()
            self.initial.setdefault("laid_from", today - datetime.timedelta(days=1))
            self.initial.setdefault("laid_to", today)
            self.initial.setdefault("idempotency_key", uuid.uuid4().hex)

    def accepted_fields(self):
        return [self[f"accepted_{code.lower()}"] for code, _label in WEIGHT_CLASSES]

    def rejected_fields(self):
        return [self[f"rejected_{code}"] for code, _label in REJECT_DEFECTS]

    def clean_farmer(self):
        """Accept "EJ001", "EJ001 吉克拉哈" (what the list suggests) or a unique name."""
        text = " ".join(self.cleaned_data["farmer"].split())
        farmers = Farmer.objects.filter(cooperative=self.cooperative)
        token = text.split(" ")[0]
        found = farmers.filter(member_no__iexact=token).first()
        if found is None:
            by_name = list(farmers.filter(head_name=text.split(" ")[-1])[:2])
            if len(by_name) == 1:
                found = by_name[0]
            elif len(by_name) > 1:
                raise forms.ValidationError(_("有几户同名，请用社员编号。"))
        if found is None:
            # "ajmr", "aji", "5678" (phone tail), "木日": the search every page uses; one match is the household.
            matches = list(search_farmers(farmers, text)[:MAX_SUGGESTED + 1])
            if len(matches) == 1:
                found = matches[0]
            elif matches:
                names = "、".join(str(f) for f in matches[:MAX_SUGGESTED])
                more = "……" if len(matches) > MAX_SUGGESTED else ""
                raise forms.ValidationError(_("“%(text)s”对得上几户：%(names)s%(more)s。请选一户或用社员编号。")
                                            % {"text": text, "names": names, "more": more})
        if found is None:
            raise forms.ValidationError(_("找不到这户农户，请检查社员编号、手机尾号、姓名或拼音。"))
        return found

    def counts(self):
        data = self.cleaned_data
        accepted = {code: data.get(f"accepted_{code.lower()}") or 0 for code, _label in WEIGHT_CLASSES}
        rejected = {code: data.get(f"rejected_{code}") or 0 for code, _label in REJECT_DEFECTS}
        return accepted, rejected

    def delivery(self):
        """What ``record_delivery`` needs from the form (the intake page and the offline sync share it)."""
        data = self.cleaned_data
        accepted, rejected = self.counts()
        return {"farmer": data["farmer"], "laid_from": data["laid_from"], "laid_to": data["laid_to"],
                "accepted": accepted, "rejected": rejected, "eggs_brought": data["eggs_brought"],
                "note": data["note"]}


class PackForm(forms.Form):
    weight_class = forms.ChoiceField(label=_("重量等级"), choices=WEIGHT_CLASSES)
    grade = forms.ChoiceField(label=_("品级"), choices=GRADES, initial="A")
    pack_size = forms.IntegerField(label=_("每盒枚数"), min_value=1, initial=10)
    boxes = forms.IntegerField(label=_("盒数"), min_value=1)
    shelf_days = forms.IntegerField(label=_("保质期（产蛋后天数）"), min_value=1, max_value=28, initial=28)


class PeriodForm(forms.Form):
    month = forms.CharField(label=_("结算月份"), max_length=7,
                            widget=forms.TextInput(attrs={"type": "month"}),
                            help_text=_("例如 2026-11"))

    def clean_month(self):
        raw = self.cleaned_data["month"].strip()
        try:
            first = datetime.date.fromisoformat(raw + "-01")
        except ValueError:
            raise forms.ValidationError(_("请按“年-月”填写，例如 2026-11。")) from None
        nxt = (first.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
        if first > timezone.localdate():
            raise forms.ValidationError(_("不能结算还没开始的月份。"))
        return first, nxt - datetime.timedelta(days=1)


class HouseholdImportForm(forms.Form):
    """The household list to import (coop.services.imports reads it; the type is checked there, by name and bytes)."""

    file = forms.FileField(label=_("农户名单文件（.xlsx 或 .csv）"),
                           widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
                           error_messages={"required": _("请选择要上传的文件。"),
                                           "empty": _("文件是空的。"),
                                           "invalid": _("没有收到文件，请重新选择。")})


class FarmerAdminForm(forms.ModelForm):
    """The admin never shows a household's full account number: it can be replaced, not read."""

    new_payout_account = forms.CharField(label=_("收款账号"), max_length=40, required=False,
                                         help_text=_("留空则保持不变。账号只在导出转账清单时完整显示。"))

    class Meta:
        model = Farmer
        fields = ["cooperative", "village", "member_no", "head_name", "phone", "poverty_status", "hens",
                  "payout_method", "stamp_code", "active", "suspended_until", "suspension_reason", "joined_on"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance and self.instance.payout_account:
            self.fields["new_payout_account"].help_text = _("当前：%(masked)s。留空则保持不变。") % {
                "masked": self.instance.masked_account}

    def save(self, commit=True):
        value = self.cleaned_data.get("new_payout_account", "").strip()
        if value:
            self.instance.payout_account = value
        return super().save(commit=commit)


class LockoutMixin:
    """The staff lockout (``coop.services.accounts``) in front of a Django sign-in form's password check.

    The attempt is counted before ``super().clean()`` checks the password; a refusal (locked, or the
    counters unreachable) is shown as the form's error and the password is not checked at all."""

    def clean(self):
        username = self.data.get("username", "") or ""
        if not username or not self.data.get("password"):
            return super().clean()  # nothing is checked, nothing is counted: "required" errors only
        ip = client_ip(self.request) if self.request is not None else ""
        try:
            attempt = accounts.start_attempt(username, ip)
        except DomainError as exc:
            raise forms.ValidationError(str(exc), code=exc.code) from exc
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            try:
                attempt.failed()
            except DomainError as exc:
                raise forms.ValidationError(str(exc), code=exc.code) from exc
            raise
        if self.get_user() is not None:  # signed in (a form missing a field checks nothing and keeps the count)
            try:
                attempt.succeeded()
            except DomainError:
                pass  # the password was right; the pair's count just expires with its window
        return cleaned


class LockoutAdminAuthenticationForm(LockoutMixin, AdminAuthenticationForm):
    """The admin sign-in form, under the staff lockout."""


class LockoutAuthenticationForm(LockoutMixin, AuthenticationForm):
    """The programmes page's sign-in form (coordinators and staff), under the same lockout as the admin."""

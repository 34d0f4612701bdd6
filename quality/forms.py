"""Forms of the public charter pages (the bad-egg report)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from coop.lib.validators import validate_mobile
from quality.models import DEFECTS, BadEggReport


class MultiplePhotoInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultiplePhotoField(forms.FileField):
    """Up to three photos from one ``<input type=file multiple>`` (works without JavaScript)."""

    widget = MultiplePhotoInput

    def clean(self, data, initial=None):
        files = data if isinstance(data, (list, tuple)) else ([data] if data else [])
        if len(files) > BadEggReport.MAX_PHOTOS:
            raise forms.ValidationError(_("最多上传 %(n)s 张照片。") % {"n": BadEggReport.MAX_PHOTOS})
        return [super(MultiplePhotoField, self).clean(f, initial) for f in files]


class ReportForm(forms.Form):
    eggs = forms.IntegerField(label=_("坏蛋有几枚？"), min_value=1, initial=1,
                              widget=forms.NumberInput(attrs={"inputmode": "numeric", "min": 1}))
    defect = forms.ChoiceField(label=_("是什么问题？"), choices=DEFECTS, widget=forms.RadioSelect)
    photos = MultiplePhotoField(label=_("照片（可选，最多3张）"), required=False,
                                widget=MultiplePhotoInput(attrs={"accept": "image/jpeg,image/png,image/webp"}))
    stamp_code = forms.CharField(label=_("蛋壳上的喷码（如果有）"), max_length=10, required=False)
    note = forms.CharField(label=_("补充说明（可选）"), max_length=500, required=False,
                           widget=forms.Textarea(attrs={"rows": 3}))
    contact_name = forms.CharField(label=_("怎么称呼您（可选）"), max_length=50, required=False)
    contact_phone = forms.CharField(label=_("手机号（可选，用于告知处理结果）"), max_length=20, required=False,
                                    validators=[validate_mobile],
                                    widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}))

    # Asked only when the report is not already linked to the signed-in buyer's order: it is how a customer
    # gets the refund or replacement the scan page promises (quality.services.reports.order_for_lookup).
    order_lookup = forms.CharField(label=_("订单号或下单手机号（可选，用于退款或补发）"), max_length=40, required=False,
                                   widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}))

    def __init__(self, *args, batch=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.batch = batch
        if batch is not None:
            self.fields["eggs"].max_value = batch.eggs
            self.fields["eggs"].widget.attrs["max"] = batch.eggs

"""Admin of packed batches and what went into them."""

from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from coop.admin.base import CooperativeScopedAdmin, ReadOnlyInline
from coop.models import (
    Batch,
    BatchContribution,
)
from coop.services.batches import BatchError, set_batch_status


class ContributionInline(ReadOnlyInline):
    model = BatchContribution
    fields = ("delivery", "farmer", "eggs")
    readonly_fields = ("delivery", "farmer", "eggs")
    verbose_name_plural = _("这批蛋来自哪些交蛋记录")

    @admin.display(description=_("农户"))
    def farmer(self, obj):
        return obj.delivery.farmer


@admin.register(Batch)
class BatchAdmin(CooperativeScopedAdmin):
    list_display = ("code", "weight_class", "grade", "boxes", "pack_size", "eggs", "laid_from", "best_before",
                    "status", "packed_by")
    list_filter = ("status", "weight_class", "grade", "packed_at")
    search_fields = ("code", "contributions__delivery__farmer__head_name",
                     "contributions__delivery__farmer__member_no")
    date_hierarchy = "packed_at"
    inlines = [ContributionInline]
    actions = ["mark_sold_out", "mark_expired"]
    readonly_fields = [f.name for f in Batch._meta.fields if f.name != "id"] + ["next_steps"]
    may_change = False  # status changes go through actions (one transition function)
    may_delete = False

    @admin.display(description=_("标签与溯源"))
    def next_steps(self, obj):
        """The next steps where the batch is: its labels in each format, certificate, scan page and EPCIS. Linked
        by path, as coop links to quality's pages (the paths are printed on labels and never change); the trace
        code's page in the admin has every format and the recall."""
        b = obj.pk
        links = [(f"/trace/batches/{b}/print/", gettext("打印标签（选规格和张数）")),
                 (f"/trace/batches/{b}/labels.pdf", gettext("A4 不干胶标签 PDF")),
                 (f"/trace/batches/{b}/labels.tspl", gettext("标签机文件 TSPL")),
                 (f"/trace/batches/{b}/labels.zpl", gettext("标签机文件 ZPL")),
                 (f"/trace/batches/{b}/label.png", gettext("单张标签 PNG"))]
        trace = getattr(obj, "trace", None)  # made when the batch was packed; an old row may have none
        if trace is not None:
            links += [(f"/t/{trace.code}", gettext("扫码页")),
                      (f"/t/{trace.code}/certificate.pdf", gettext("承诺达标合格证")),
                      (f"/t/{trace.code}/epcis.json?private=1", "EPCIS 2.0"),
                      (reverse("admin:quality_tracecode_change", args=[trace.pk]), gettext("全部标签规格与召回"))]
        return format_html('<ul id="batch-next-steps">{}</ul>',
                           format_html_join("", '<li><a href="{}">{}</a></li>', links))

    def add_view(self, request, form_url="", extra_context=None):
        return HttpResponseRedirect(reverse("books-pack"))  # packing is the service's job

    def _set(self, request, queryset, status):
        done = 0
        for batch in queryset:
            try:
                set_batch_status(batch, status, user=request.user, reason=gettext("后台操作"))
                done += 1
            except BatchError as exc:
                self.message_user(request, str(exc), messages.ERROR)
        if done:
            self.message_user(request, gettext("已更新 %(n)d 个批次。") % {"n": done})

    @admin.action(description=_("标记为已售罄"), permissions=["mark_sold_out"])
    def mark_sold_out(self, request, queryset):
        self._set(request, queryset, Batch.SOLD_OUT)

    @admin.action(description=_("标记为已过期"), permissions=["mark_expired"])
    def mark_expired(self, request, queryset):
        self._set(request, queryset, Batch.EXPIRED)

    def has_mark_sold_out_permission(self, request):
        return self._can(request, self.edit_roles)

    has_mark_expired_permission = has_mark_sold_out_permission

"""Admin of packed batches and what went into them."""

from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.urls import reverse
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
    readonly_fields = [f.name for f in Batch._meta.fields if f.name != "id"]
    may_change = False  # status changes go through actions (one transition function)
    may_delete = False

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

"""Admin of settlements and settlement runs."""

from decimal import Decimal

from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from coop.admin.base import AppendOnlyAdmin, CooperativeScopedAdmin, ReadOnlyInline, ask_one_value, money
from coop.models import (
    LedgerEntry,
    Settlement,
    SettlementRun,
)
from coop.services.settlements import TO_PAY, SettlementError, approve_settlement, pay_settlement

WORKBENCH = "/admin/workbench/"  # quality's page, linked by path as coop links to quality


class SettlementLineInline(ReadOnlyInline):
    model = LedgerEntry
    fk_name = "settlement"
    fields = ("occurred_on", "kind", "reason", "amount")
    readonly_fields = fields
    verbose_name_plural = _("结算明细")


def pay_summary(queryset):
    """What "pay" will do, row by row, before the manager confirms: who, which period, how much is
    transferred (Settlement.paid_out), what a household owes instead, and the total to transfer."""
    rows, total, owed, count = [], Decimal("0.00"), Decimal("0.00"), 0
    for s in queryset.select_related("farmer").order_by("farmer__member_no", "pk"):
        payable = s.status == Settlement.APPROVED
        rows.append([f"{s.farmer.member_no} {s.farmer.head_name}", f"{s.period_start:%Y-%m-%d}–{s.period_end:%Y-%m-%d}",
                     s.get_status_display() if payable else gettext("%(s)s，不会付款") % {"s": s.get_status_display()},
                     f"¥{s.paid_out}",
                     gettext("本期应扣 ¥%(o)s，从下次工资里扣") % {"o": s.carried_over} if s.carried_over else ""])
        if payable:
            count += 1
            total += s.paid_out
            owed += s.carried_over
    return {"columns": [gettext("农户"), gettext("结算期"), gettext("状态"), gettext("实付"), gettext("备注")],
            "rows": rows,
            "total": [gettext("合计 %(n)d 户") % {"n": count}, "", "", f"¥{total}",
                      gettext("应扣合计 ¥%(o)s") % {"o": owed} if owed else ""],
            "note": gettext("确认后将登记 %(n)d 张结算单付款，共转账 ¥%(t)s。") % {"n": count, "t": total}}


@admin.register(Settlement)
class SettlementAdmin(CooperativeScopedAdmin):
    list_display = ("farmer", "period_start", "period_end", "status", money("gross", _("交蛋收入")),
                    money("fines", _("罚款")), money("rewards", _("奖励")), money("adjustments", _("调整")),
                    money("net", _("实付")), "payment_reference", "payslip")
    list_filter = ("status", "period_start", "farmer__village")
    search_fields = ("farmer__head_name", "farmer__member_no", "farmer__phone", "payment_reference")
    list_select_related = ("farmer",)
    inlines = [SettlementLineInline]
    actions = ["approve", "pay"]
    readonly_fields = [f.name for f in Settlement._meta.fields if f.name != "id"]
    may_add = False  # settlements are made by "settle the month" (books/settle/)
    may_change = False
    may_delete = False

    @admin.display(description=_("工资条"))
    def payslip(self, obj):
        return format_html('<a href="{}">{}</a> · <a href="{}">PDF</a>', reverse("books-payslip", args=[obj.pk]),
                           gettext("查看"), reverse("books-payslip-pdf", args=[obj.pk]))

    @admin.action(description=_("审批所选结算单"), permissions=["approve"])
    def approve(self, request, queryset):
        done = []
        for s in queryset:
            try:
                approve_settlement(s, user=request.user)
                done.append(s.pk)
            except SettlementError as exc:
                self.message_user(request, str(exc), messages.WARNING)
        self.message_user(request, gettext("已审批 %(n)d 张结算单。") % {"n": len(done)})
        if request.POST.get("then") == "pay" and done:
            # "审批并登记付款" (the settlement run's page, the workbench): the next step where it is — the pay page
            # for the rows just approved, with its summary to check; it posts to the list of those to pay, since
            # this list (of drafts) no longer holds them.
            return self.pay(request, self.get_queryset(request).filter(pk__in=done),
                            form_action=reverse("admin:coop_settlement_changelist") + "?" + urlencode(TO_PAY))
        return None

    @admin.action(description=_("登记付款（填写转账凭证号）"), permissions=["pay"])
    def pay(self, request, queryset, form_action=""):
        # Started from the workbench (or its approve-then-pay), paying ends back there, where 待付款 now says 0.
        home = request.POST.get("then") in ("pay", "home")
        reference, page = ask_one_value(self, request, queryset, action="pay", title=gettext("登记付款"),
                                        label=gettext("付款凭证号（转账批次号）"), summary=pay_summary,
                                        form_action=form_action, hidden={"then": "home"} if home else None)
        if page is not None:
            return page
        done = 0
        for s in queryset:
            try:
                pay_settlement(s, reference=reference, user=request.user)
                done += 1
            except SettlementError as exc:
                self.message_user(request, str(exc), messages.WARNING)
        self.message_user(request, gettext("已付款 %(n)d 张结算单。") % {"n": done})
        return HttpResponseRedirect(WORKBENCH) if home else None

    def has_approve_permission(self, request):
        return self._can(request, self.edit_roles)

    has_pay_permission = has_approve_permission


@admin.register(SettlementRun)
class SettlementRunAdmin(AppendOnlyAdmin):
    list_display = ("period_start", "period_end", "status", "progress", "settlements_created", "lines_settled",
                    "started_by", "created_at", "finished_at")
    list_filter = ("status",)

    @admin.display(description=_("进度"))
    def progress(self, obj):
        return format_html('<a href="{}">{}%</a>', reverse("books-run", args=[obj.pk]), obj.percent)

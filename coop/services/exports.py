"""Excel/CSV exports managers expect: farmers, deliveries, settlements (and the writer others reuse).

Each ``*_table(cooperative_ids, since=None)`` returns ``(title, headers, rows)``; ``table_response``
writes them as .xlsx (openpyxl, write-only mode so a season of deliveries streams in constant
memory) or as CSV with a UTF-8 BOM (Excel on Chinese Windows opens a BOM-less CSV as GBK and
garbles it). Payout accounts stay masked: the full number appears only in the bank transfer list.
"""

import csv
import io

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

from coop.lib.files import file_response, sheet_row
from coop.lib.validators import format_mobile
from coop.lib.words import person_name
from coop.models import REJECT_DEFECTS, WEIGHT_CLASSES, Delivery, Farmer, Settlement


def table_response(title, headers, rows, *, fmt, filename):
    if fmt == "csv":
        buf = io.StringIO()
        buf.write("\ufeff")
        writer = csv.writer(buf)
        writer.writerow(headers)
        for row in rows:
            writer.writerow(sheet_row(row))
        response = file_response(buf.getvalue(), f"{filename}.csv", download=True)
        return response
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=title[:31])
    ws.append(headers)
    for row in rows:
        ws.append(sheet_row(row))
    out = io.BytesIO()
    wb.save(out)
    response = file_response(out.getvalue(), f"{filename}.xlsx", download=True)
    return response


def farmers_table(cooperative_ids, since=None):
    headers = [_("合作社"), _("社员编号"), _("户主姓名"), _("村"), _("手机号"), _("帮扶状态"), _("母鸡数"),
               _("收款方式"), _("收款账号（打码）"), _("喷码"), _("在册"), _("暂停收购至"), _("入社日期")]
    qs = (Farmer.objects.filter(cooperative__in=cooperative_ids).select_related("cooperative", "village")
          .order_by("cooperative_id", "member_no"))
    rows = ([f.cooperative.name, f.member_no, f.head_name, f.village.name, format_mobile(f.phone),
             f.get_poverty_status_display(), f.hens, f.get_payout_method_display(), f.masked_account, f.stamp_code,
             _("是") if f.active else _("否"), f.suspended_until, f.joined_on] for f in qs.iterator())
    return _("农户"), headers, rows


def deliveries_table(cooperative_ids, since=None):
    headers = ([_("收蛋时间"), _("社员编号"), _("户主姓名"), _("村"), _("交来枚数")]
               + [_("合格·%(c)s") % {"c": code} for code, _l in WEIGHT_CLASSES]
               + [str(label) for _c, label in REJECT_DEFECTS]
               + [_("应付金额（元）"), _("验收员"), _("待核查")])
    # A cancelled delivery was replaced by its correction: exporting both would count the eggs twice.
    qs = (Delivery.objects.filter(cooperative__in=cooperative_ids, cancelled_at__isnull=True)
          .select_related("farmer", "farmer__village", "inspector").order_by("received_at", "id"))
    if since is not None:
        qs = qs.filter(received_at__date__gte=since)
    rows = ([timezone.localtime(d.received_at).strftime("%Y-%m-%d %H:%M"), d.farmer.member_no, d.farmer.head_name,
             d.farmer.village.name, d.eggs_brought]
            + [d.accepted_of(code) for code, _l in WEIGHT_CLASSES]
            + [getattr(d, f"rejected_{code}") for code, _l in REJECT_DEFECTS]
            + [d.amount_due, person_name(d.inspector), _("是") if d.flagged else ""]
            for d in qs.iterator(chunk_size=2000))
    return _("交蛋记录"), headers, rows


def settlements_table(cooperative_ids, since=None):
    headers = [_("结算期起"), _("结算期止"), _("社员编号"), _("户主姓名"), _("村"), _("状态"), _("交蛋收入"),
               _("罚款"), _("奖励"), _("调整"), _("实付"), _("本期应扣，从下次工资扣"), _("付款时间"), _("付款凭证号")]
    qs = (Settlement.objects.filter(cooperative__in=cooperative_ids)
          .select_related("farmer", "farmer__village").order_by("-period_end", "farmer__member_no"))
    if since is not None:
        qs = qs.filter(period_end__gte=since)
    rows = ([s.period_start, s.period_end, s.farmer.member_no, s.farmer.head_name, s.farmer.village.name,
             str(s.status_text), s.gross, s.fines, s.rewards, s.adjustments, s.paid_out, s.carried_over,
             timezone.localtime(s.paid_at).strftime("%Y-%m-%d %H:%M") if s.paid_at else "", s.payment_reference]
            for s in qs.iterator())
    return _("结算单"), headers, rows

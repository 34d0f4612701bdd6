"""The words people read for our internal codes: audit actions, notification channels, money.

The audit trail stores ``delivery.recorded`` on ``coop.delivery`` and a notification its channel ``sms``:
stable codes for programs. A manager reads "交蛋已登记" on "交蛋记录" and "短信". These tables are the one
place that turns one into the other; the admin and every page that shows the trail or a channel use them.
They name actions of all three apps as plain strings, so ``coop`` still imports neither of the others
(``tests/coop/test_audit_words.py`` checks that every action the code writes has its words here).
"""

from decimal import Decimal, InvalidOperation

from django.apps import apps
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext_lazy as _

ACTION_LABELS = {
    # households
    "farmer.created": _("农户已建档"),
    "farmer.changed": _("农户资料已修改"),
    "farmer.deactivated": _("农户已停用"),
    "farmer.pin_set": _("已设登录密码"),
    "farmer.pin_reset": _("已重设登录密码"),
    "farmer.pin_locked": _("密码输错太多次，已锁定"),
    "farmer.signed_in": _("农户已登录"),
    "farmer.wechat_bound": _("农户已绑定微信"),
    "farmer.wechat_unbound": _("农户已解除微信绑定"),
    "farmer.suspended": _("暂停收购"),
    "farmer.suspension_lifted": _("恢复收购"),
    "farmers.imported": _("农户名单已导入"),
    "deliveries.imported": _("交蛋台账已导入"),
    "signin.locked": _("后台登录已锁定"),
    "otp.enrolled": _("已设置两步验证"),
    "otp.locked": _("两步验证码输错太多次，已暂停"),
    "otp.recovery_used": _("用恢复码完成了两步验证"),
    "otp.recovery_codes_renewed": _("已换新的恢复码"),
    "otp.reset": _("两步验证已重置"),
    # intake, packing, batches
    "price.set": _("收购价已设定"),
    "delivery.recorded": _("交蛋已登记"),
    "delivery.flagged": _("交蛋待核查"),
    "delivery.reviewed": _("交蛋已核查"),
    "delivery.adjusted": _("交蛋已调账"),
    "delivery.confirmed": _("待核查交蛋已确认入账"),
    "delivery.cancelled": _("交蛋已作废（已更正）"),
    "delivery.amended": _("交蛋枚数已更正"),
    "batch.packed": _("批次已包装"),
    "batch.sold_out": _("批次已售罄"),
    "batch.expired": _("批次已过期"),
    "batch.recalled": _("批次已召回"),
    "batch.box_codes_issued": _("盒码已生成"),
    "batch.certificate_issued": _("合格证已开具"),
    "batch.label_sheet_requested": _("已申请生成标签"),
    # settlements and the fund
    "settlement.approved": _("结算已审批"),
    "settlement.paid": _("结算已付款"),
    "settlement.exported": _("转账清单已导出"),
    "settlement_run.started": _("全员结算开始"),
    "settlement_run.done": _("全员结算完成"),
    "fund.donation_received": _("收到捐赠"),
    "fund.reserved": _("基金已预留"),
    "hygiene.inspected": _("卫生检查已登记"),
    "hygiene.changed": _("卫生检查已修改"),
    "hygiene.awarded": _("卫生奖励已发放"),
    # the shop, group buys, pairing programmes
    "buyer.registered": _("买家已注册"),
    "buyer.profile_updated": _("买家资料已修改"),
    "order.placed": _("已下单"),
    "aftersale.requested": _("买家申请售后"),
    "aftersale.refunded": _("售后：同意退款"),
    "aftersale.replaced": _("售后：同意补发"),
    "aftersale.refused": _("售后：不予售后"),
    "aftersale.refund_failed": _("售后退款未成功"),
    "aftersale.refund_retried": _("售后退款重新发起"),
    "invoice.requested": _("买家申请开票"),
    "invoice.resubmitted": _("买家修改后重新申请开票"),
    "invoice.issued": _("已开发票"),
    "invoice.returned": _("开票申请已退回"),
    "order.pending_payment": _("订单待付款"),
    "order.paid": _("订单已付款"),
    "order.packed": _("订单已打包"),
    "order.shipped": _("订单已发货"),
    "order.ready_for_pickup": _("订单可以取货"),
    "order.completed": _("订单已完成"),
    "order.cancelled": _("订单已取消"),
    "order.refund_pending": _("订单退款中"),
    "order.refunded": _("订单已退款"),
    "order.attributed": _("订单已计入帮扶项目"),
    "order.acceptance_rated": _("验收已评价"),
    "order.institutional_terms": _("单位采购条款已记录"),
    "payment.started": _("开始付款"),
    "payment.succeeded": _("付款成功"),
    "payment.amount_mismatch": _("付款金额不符"),
    "refund.requested": _("已申请退款"),
    "refund.failed": _("退款失败"),
    "refund.succeeded": _("退款已到账"),
    "refund.confirmed": _("线下退款已确认"),
    "groupbuy.posted": _("团购已发布"),
    "groupbuy.closed": _("团购已截单"),
    "groupbuy.entry_changed": _("接龙已修改"),
    "groupbuy.waitlisted": _("已加入候补"),
    "groupbuy.waitlist_left": _("已退出候补"),
    "groupbuy.place_offered": _("候补有空位，已通知"),
    "groupbuy.offer_lapsed": _("候补空位已过期"),
    "pledge.registered": _("认购已登记"),
    "statement.issued": _("对账单已开出"),
    # the charter: reports, penalties, appeals
    "charter.drafted": _("公约草案已起草"),
    "charter.adopted": _("公约已通过"),
    "charter.edited": _("公约已修改"),
    "report.received": _("坏蛋报告已受理"),
    "report.investigating": _("坏蛋报告调查中"),
    "report.confirmed": _("坏蛋报告已确认"),
    "report.dismissed": _("坏蛋报告不予认定"),
    "report.duplicate_merged": _("重复报告已合并"),
    "report.remedy_entitled": _("已告知买家可获补偿"),
    "report.remedy_refunded": _("已为买家退款"),
    "penalty.proposed": _("拟处罚"),
    "penalty.renumbered": _("违约次数已更正"),
    "penalty.notified": _("处罚已告知"),
    "penalty.appealed": _("处罚已被申诉"),
    "penalty.applied": _("处罚已执行"),
    "penalty.waived": _("处罚已免除"),
    "penalty.reversed": _("处罚已撤销"),
    "appeal.filed": _("申诉已提交"),
    "appeal.upheld": _("申诉裁决：维持原处罚"),
    "appeal.reduced": _("申诉裁决：减轻处罚"),
    "appeal.waived": _("申诉裁决：免除处罚"),
}


# "<model>.created" / "<model>.changed", written by the admin pages of the pairing programmes for each model.
GENERIC_VERBS = {"created": _("%(what)s已新建"), "changed": _("%(what)s已修改")}


# A notification's event: the title of the message and of the household's list of messages.
EVENT_LABELS = {
    "delivery.receipt": _("交蛋回执"), "penalty.notified": _("处罚告知"), "penalty.applied": _("处罚执行"),
    "penalty.waived": _("处罚免除"), "penalty.reversed": _("处罚撤销"), "appeal.filed": _("申诉已收到"),
    "penalty.renumbered": _("违约次数更正"),
    "appeal.decided": _("申诉裁决"), "settlement.paid": _("工资已付"), "order.paid": _("订单已付款"),
    "order.shipped": _("订单已发货"), "pledge.reminder": _("认购提醒"), "batch.recalled": _("召回通知"),
    "hygiene.award": _("卫生评比奖励"), "report.decided": _("坏蛋报告处理结果"),
    "buyer.login_code": _("登录验证码"),
    "order.packed": _("订单已打包"), "order.ready_for_pickup": _("可以取货了"), "order.completed": _("订单已完成"),
    "order.cancelled": _("订单已取消"), "order.refunded": _("已退款"),
    "aftersale.requested": _("售后申请已收到"), "aftersale.refunded": _("售后退款"),
    "aftersale.replaced": _("售后补发"), "aftersale.refused": _("售后申请未通过"),
    "groupbuy.place_offered": _("候补有空位了"),
    "order.invoice_requested": _("开票申请已收到"), "order.invoice_issued": _("发票已开"),
    "order.invoice_returned": _("开票申请被退回"),
}


CHANNEL_LABELS = {"sms": _("短信"), "wechat": _("微信"), "console": _("不发送（只记日志）")}


def object_label(object_type):
    """``coop.delivery`` → "交蛋记录": the model's own name (its verbose name) for an ``app.model`` label."""
    try:
        return apps.get_model(object_type)._meta.verbose_name
    except (LookupError, ValueError):
        return _("其他记录")


def action_label(action, object_type=None):
    """``delivery.recorded`` → "交蛋已登记". An action without words (a new one) is named by what it acted
    on, never shown as the code."""
    if action in ACTION_LABELS:
        return ACTION_LABELS[action]
    verb = action.rpartition(".")[2]
    what = object_label(object_type) if object_type else _("记录")
    if verb in GENERIC_VERBS:
        return GENERIC_VERBS[verb] % {"what": what}
    return _("%(what)s · 其他操作") % {"what": what}


def event_label(event):
    return EVENT_LABELS.get(event, _("合作社通知"))


def channel_label(channel):
    """``sms`` → "短信"; a provider plugged in by dotted path is "其他渠道"."""
    return CHANNEL_LABELS.get(channel, _("其他渠道"))


def yuan(value):
    """Money as people write it: "¥12.50", a debit "−¥6.00" (the minus sign in front, never "¥-6.00"),
    thousands grouped ("¥1,250.00"). The one money format of templates, admin columns and messages."""
    if value in (None, ""):
        return ""
    try:
        value = Decimal(value).quantize(Decimal("0.01"))
    except (InvalidOperation, TypeError, ValueError):
        return str(value)
    if value == 0:
        value = abs(value)  # Decimal keeps the sign of zero: −0.00 is written ¥0.00
    if value < 0:
        return f"−¥{-value:,}"
    return f"¥{value:,}"


def person_name(user):
    """A person as others know them: the name on their account ("吉克阿依"), never the login ("inspector")
    unless no name was ever given. Receipts, the audit trail and decision records show this."""
    if user is None:
        return ""
    name = (f"{user.last_name}{user.first_name}" if _is_chinese(user.last_name + user.first_name)
            else user.get_full_name()).strip()
    return name or user.get_username()


def _is_chinese(text):
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)



def in_site_language():
    """``with in_site_language():`` — what is written for a household or a buyer (a message, an SMS's facts)
    is in the site's language (settings.LANGUAGE_CODE), whatever language the staff member who caused it
    reads the site in: a manager browsing in English must not send 阿吉木日 an English SMS.

    A fresh ``translation.override`` per use (it keeps the previous language on itself, so one shared
    instance — a decorator — would not be safe across threads)."""
    return translation.override(settings.LANGUAGE_CODE)

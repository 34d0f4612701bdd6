"""The "wechat" notification channel: template messages through the real client over HTTP to the local fake of
WeChat's API (orders/services/wechat/local.py) — one cached token for many messages, a dead token replaced
once, a retry that never buzzes the phone twice, and a text instead for anyone WeChat cannot reach, the
reason in Chinese in the log."""

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from coop.lib import wechat as wechat_client
from coop.models import Farmer, GatewayMessage, Notification, NotificationAttempt
from coop.services import notifications
from tests.orders.wechat_local import wx  # noqa: F401 - the fixture

SEND = "/cgi-bin/message/template/send"


@pytest.fixture
def channel(wx, settings):  # noqa: F811
    """The site with NOTIFICATION_CHANNEL=wechat, a template added in the official account, texts to the local
    SMS gateway (the fallback)."""
    settings.NOTIFICATION_CHANNEL = "wechat"
    settings.SMS_PROVIDER = "local"
    settings.WECHAT_TEMPLATE_NOTICE = wx.add_template(("thing1", "time2", "thing3"))
    return wx


def bind(farmer, wx, *, follows=True):  # noqa: F811
    openid = "oFarmer" + str(farmer.pk).zfill(21)
    Farmer.objects.filter(pk=farmer.pk).update(wechat_openid=openid)
    wx.issue_code(openid=openid)  # the openid WeChat gave when the household bound it
    if follows:
        wx.follow(openid)
    return openid


def send(capture, **kw):
    with capture(execute=True):
        note = notifications.notify(**kw)
    note.refresh_from_db()
    return note


def attempts(note):
    return list(NotificationAttempt.objects.filter(notification=note).values_list("channel", "ok", "error"))


def test_a_bound_household_gets_a_template_message_over_http(personas, channel, settings,
                                                             django_capture_on_commit_callbacks):
    openid = bind(personas.farmer_a, channel)
    note = send(django_capture_on_commit_callbacks, event="settlement.paid", key="settlement:9:paid",
                farmer=personas.farmer_a, body="11月工资¥320.00已转到您的微信，请查收。扣罚款¥6.00。")
    assert note.status == Notification.SENT and note.channel == "wechat"
    [msg] = channel.messages
    assert msg["touser"] == openid and msg["template_id"] == settings.WECHAT_TEMPLATE_NOTICE
    assert msg["url"] == settings.SITE_URL + "/farmer/notifications/"
    assert msg["client_msg_id"] == "settlement:9:paid"
    # Since May 2023 WeChat shows a category template's fields only, each ≤ 20 characters on one line.
    assert msg["data"]["thing1"] == {"value": "工资已付"}
    assert msg["data"]["thing3"]["value"] == "11月工资¥320.00已转到您的微信…"
    assert len(msg["data"]["thing3"]["value"]) == 20
    assert "年" in msg["data"]["time2"]["value"] and "月" in msg["data"]["time2"]["value"]
    assert attempts(note) == [("wechat", True, "")]
    assert NotificationAttempt.objects.get(notification=note).provider_ref == str(msg["msgid"])
    assert not GatewayMessage.objects.exists()  # no text was sent besides


def test_one_token_serves_many_messages_and_a_dead_token_is_replaced_once(personas, channel,
                                                                          django_capture_on_commit_callbacks):
    bind(personas.farmer_a, channel)
    for n in range(5):
        assert send(django_capture_on_commit_callbacks, event="delivery.receipt", key=f"delivery:{n}:receipt",
                    farmer=personas.farmer_a, body=f"您交蛋{n + 30}枚").status == Notification.SENT
    assert channel.count("/cgi-bin/token") == 1 and channel.count(SEND) == 5
    channel.tokens.clear()  # someone fetched a token in the official account's console: ours is dead (40001)
    note = send(django_capture_on_commit_callbacks, event="delivery.receipt", key="delivery:9:receipt",
                farmer=personas.farmer_a, body="您交蛋40枚")
    assert note.status == Notification.SENT and note.attempts == 1
    assert channel.count("/cgi-bin/token") == 2  # fetched once more, not again and again
    assert channel.count(SEND) == 7  # the refused request and its one repeat
    assert len(channel.messages) == 6


def test_a_household_without_wechat_is_texted_and_the_log_says_why(personas, channel, client_for,
                                                                   django_capture_on_commit_callbacks):
    note = send(django_capture_on_commit_callbacks, event="delivery.receipt", key="delivery:1:receipt",
                farmer=personas.farmer_a, body="您交蛋30枚，合格28枚，应得¥42.00。")
    assert note.status == Notification.SENT and note.channel == "sms"
    assert channel.count(SEND) == 0 and not channel.messages  # nothing sent to a made-up openid
    assert attempts(note) == [("wechat", False, "还没有绑定微信"), ("sms", True, "")]
    assert GatewayMessage.objects.get(client_ref="delivery:1:receipt").recipient == personas.farmer_a.phone
    page = client_for(personas.manager_a).get(f"/admin/coop/notification/{note.pk}/change/").content.decode()
    assert "微信" in page and "短信" in page and "还没有绑定微信" in page
    listing = client_for(personas.manager_a).get("/admin/coop/notification/").content.decode()
    assert "短信" in listing and ">sms<" not in listing and ">wechat<" not in listing


def test_someone_with_neither_wechat_nor_a_phone_is_recorded_as_not_sendable(personas, channel,
                                                                             django_capture_on_commit_callbacks):
    note = send(django_capture_on_commit_callbacks, event="order.shipped", key="order:4:shipped",
                cooperative=personas.coop_a, body="【绿壳蛋】订单 G1 已发货。")
    assert note.status == Notification.FAILED and note.attempts == 1
    assert note.error == "微信：还没有绑定微信；短信：没有手机号，发不了短信"


def test_a_buyer_who_does_not_follow_the_account_fails_for_good_with_the_reason(personas, channel,
                                                                               django_capture_on_commit_callbacks):
    channel.sign_in_as("oBuyer0000000000000000000001")  # signed in to the shop by WeChat, never followed
    note = send(django_capture_on_commit_callbacks, event="order.shipped", key="order:5:shipped",
                cooperative=personas.coop_a, body="【绿壳蛋】订单 G2 已发货。",
                wechat_openid="oBuyer0000000000000000000001")
    assert note.status == Notification.FAILED and note.attempts == 1  # permanent: not retried
    assert "对方没有关注本社公众号，收不到微信消息（错误码 43004）" in note.error
    assert attempts(note)[0] == ("wechat", False, "对方没有关注本社公众号，收不到微信消息（错误码 43004）")
    assert notifications.requeue_stuck() == 0
    assert not channel.messages
    # The buyer's messages open the shop's orders, not a household's page.
    channel.follow("oBuyer0000000000000000000001")
    sent = send(django_capture_on_commit_callbacks, event="order.shipped", key="order:6:shipped",
                cooperative=personas.coop_a, body="【绿壳蛋】订单 G3 已发货。",
                wechat_openid="oBuyer0000000000000000000001")
    assert sent.status == Notification.SENT
    assert channel.messages[0]["url"].endswith("/shop/orders/")
    assert channel.messages[0]["data"]["thing3"]["value"] == "订单 G3 已发货。"  # 【绿壳蛋】 is the account's name


def test_a_household_that_unfollowed_gets_a_text_with_the_reason(personas, channel,
                                                                 django_capture_on_commit_callbacks):
    bind(personas.farmer_a, channel, follows=False)
    note = send(django_capture_on_commit_callbacks, event="penalty.notified", key="penalty:1:notified",
                farmer=personas.farmer_a, body="拟罚款¥6.00，7天内可申诉。")
    assert note.status == Notification.SENT and note.channel == "sms"
    assert [a[:2] for a in attempts(note)] == [("wechat", False), ("sms", True)]
    assert "43004" in attempts(note)[0][2] and "没有关注" in attempts(note)[0][2]


def test_the_days_quota_used_up_sends_texts_instead(personas, channel, django_capture_on_commit_callbacks):
    bind(personas.farmer_a, channel)
    channel.daily_quota = 1
    first = send(django_capture_on_commit_callbacks, event="x", key="q:1", farmer=personas.farmer_a, body="一")
    second = send(django_capture_on_commit_callbacks, event="x", key="q:2", farmer=personas.farmer_a, body="二")
    assert (first.channel, second.channel) == ("wechat", "sms")
    assert "今天的微信消息额度已用完（错误码 45009）" in attempts(second)[0][2]


def test_a_reply_lost_to_a_timeout_is_retried_and_the_phone_buzzes_once(personas, channel, monkeypatch,
                                                                        django_capture_on_commit_callbacks):
    bind(personas.farmer_a, channel)
    monkeypatch.setattr(wechat_client, "TIMEOUT", (0.5, 0.5))
    channel.send_delay = 1.0  # WeChat sends the message, then answers after our read timeout
    note = send(django_capture_on_commit_callbacks, event="x", key="lost:1", farmer=personas.farmer_a, body="您好")
    assert note.status == Notification.QUEUED and "暂时连不上微信" in note.error
    channel.send_delay = 0.0
    assert notifications.deliver(note.pk) is True  # the task's retry: the same client_msg_id
    note.refresh_from_db()
    assert note.status == Notification.SENT and note.attempts == 2
    assert len(channel.messages) == 1  # WeChat answered the repeat with the first message
    assert channel.count(SEND) == 2
    assert notifications.deliver(note.pk) is False  # a third run finds it sent: no request at all
    assert channel.count(SEND) == 2


def test_a_site_without_the_official_account_texts_and_the_deploy_check_says_so(personas, settings,
                                                                                django_capture_on_commit_callbacks):
    settings.NOTIFICATION_CHANNEL, settings.WECHAT_APPID, settings.WECHAT_APP_SECRET = "wechat", "", ""
    note = send(django_capture_on_commit_callbacks, event="x", key="noacct:1", farmer=personas.farmer_a, body="您好")
    assert note.channel == "sms" and attempts(note)[0][2] == "本站还没有接入微信公众号"
    settings.DEBUG = False
    found = {m.id for m in notifications.check_wechat_channel()}
    assert found == {"greenshell.E102", "greenshell.W102"}
    with pytest.raises(SystemCheckError, match="E102"):
        call_command("check", "--deploy", "--fail-level", "ERROR")


def test_the_deploy_check_is_quiet_when_the_channel_is_set_up(channel, settings):
    settings.DEBUG, settings.SMS_PROVIDER = False, "tencent"
    assert notifications.check_wechat_channel() == []


def test_the_local_wechat_refuses_what_wechat_refuses(channel, settings):
    """The fake answers with WeChat's errcodes, so the channel's words for them are tested against something."""
    channel.sign_in_as("oCheck0000000000000000000001")
    channel.follow("oCheck0000000000000000000001")
    good = {"thing1": {"value": "交蛋回执"}, "time2": {"value": "2026年12月6日 08:00"},
            "thing3": {"value": "您交蛋30枚"}}

    def errcode(**kw):
        args = {"touser": "oCheck0000000000000000000001", "template_id": settings.WECHAT_TEMPLATE_NOTICE,
                "data": good, **kw}
        try:
            wechat_client.send_template(**args)
        except wechat_client.WeChatError as exc:
            return exc.errcode
        return 0

    assert errcode() == 0
    assert errcode(touser="oSomeoneElse000000000000000") == 40003
    assert errcode(template_id="not-added") == 40037
    assert errcode(data={**good, "keyword1": {"value": "旧模板的字段"}}) == 47001
    assert errcode(data={**good, "thing3": "不是 {value: …}"}) == 47001
    assert errcode(data={**good, "thing3": {"value": "二" * 21}}) == 47003
    assert errcode(data={**good, "thing3": {"value": "两行\n内容"}}) == 47003
    assert errcode(client_msg_id="x" * 65) == 45067


def test_a_wrong_template_id_is_written_for_the_manager_and_the_household_is_texted(personas, channel, settings,
                                                                                    django_capture_on_commit_callbacks):
    bind(personas.farmer_a, channel)
    settings.WECHAT_TEMPLATE_NOTICE = "a-template-the-account-never-added"
    note = send(django_capture_on_commit_callbacks, event="x", key="tpl:1", farmer=personas.farmer_a, body="您好")
    assert note.status == Notification.SENT and note.channel == "sms"
    assert attempts(note)[0] == ("wechat", False, "微信消息模板编号不对，请检查 WECHAT_TEMPLATE_NOTICE（错误码 40037）")

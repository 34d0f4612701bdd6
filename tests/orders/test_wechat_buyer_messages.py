"""A buyer who signed in by WeChat and gave no phone is told about their order in WeChat (a template
message to the openid WeChat sign-in gave), not left out because there is no number to text."""

import pytest

from coop.models import Notification
from orders.models import Buyer, Order
from tests.factories import buy, make_pairing
from tests.orders.wechat_local import wx  # noqa: F401 - the fixture


@pytest.fixture
def channel(wx, settings):  # noqa: F811
    settings.NOTIFICATION_CHANNEL = "wechat"
    settings.SMS_PROVIDER = "local"
    settings.WECHAT_TEMPLATE_NOTICE = wx.add_template(("thing1", "time2", "thing3"))
    return wx


def test_a_wechat_only_buyer_hears_that_the_order_was_paid_in_wechat(personas, channel,
                                                                     django_capture_on_commit_callbacks):
    pairing = make_pairing(personas)
    openid = "oBuyer0000000000000000000042"
    Buyer.objects.filter(pk=pairing.buyer.pk).update(phone="", wechat_openid=openid)
    pairing.buyer.refresh_from_db()
    channel.sign_in_as(openid)
    channel.follow(openid)
    with django_capture_on_commit_callbacks(execute=True):
        order = buy(pairing, 1, personas.manager_a, pack=False)
    assert order.status == Order.PAID
    note = Notification.objects.get(event=f"order.{Order.PAID}", wechat_openid=openid)
    assert note.status == Notification.SENT and note.phone == ""
    assert [m["touser"] for m in channel.messages] == [openid]
    # WeChat shows at most 20 characters of a field: the start of "订单 <number> 已付款。"
    assert channel.messages[0]["data"]["thing3"]["value"].startswith("订单 " + order.number[:10])


@pytest.mark.django_db
def test_a_buyer_with_neither_phone_nor_wechat_is_not_queued(personas, channel):
    pairing = make_pairing(personas)
    Buyer.objects.filter(pk=pairing.buyer.pk).update(phone="", wechat_openid=None)
    pairing.buyer.refresh_from_db()
    buy(pairing, 1, personas.manager_a, pack=False)
    assert not Notification.objects.filter(event__startswith="order.").exists()

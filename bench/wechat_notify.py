"""Households' messages delivered per second: WeChat template messages (the real client over HTTP to the local
fake of WeChat's API, one cached token) beside texts to the local SMS gateway, on a throw-away SQLite.

Each message goes the whole way: ``notify()`` writes the row, the (eager) task's ``deliver()`` claims it,
reads the household's openid, sends, and writes the attempt and the result. Also counted: token fetches for
all of them, and what a repeat of every request (a retry after a lost reply) adds at WeChat.

    .venv/bin/python bench/wechat_notify.py          # BENCH_MESSAGES=200 by default
"""

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
MESSAGES = int(os.environ.get("BENCH_MESSAGES", "200"))

from common import sqlite_django  # noqa: E402

sqlite_django("wechat-notify", LOG_LEVEL="ERROR")


def main():
    from django.core.management import call_command
    from django.test import override_settings

    from coop.models import Farmer, Notification
    from coop.services import notifications
    from orders.services.wechat.local import LocalWeChat
    from tests.factories import make_cooperative, make_farmer

    call_command("migrate", verbosity=0)
    farmer = make_farmer(make_cooperative(name="基准合作社", producer_code="BNCH"))
    api = LocalWeChat()
    url = api.start()
    openid = api.user["openid"]
    api.follow(openid)
    template = api.add_template()

    def run(channel, prefix):
        t = time.perf_counter()
        for n in range(MESSAGES):
            # Outside a transaction the row commits at once and the task runs eagerly (no broker): the send.
            notifications.notify(event="delivery.receipt", key=f"{prefix}:{n}", farmer=farmer,
                                 body=f"您交蛋{n}枚，合格{n}枚，应得¥{n}.00。")
        elapsed = time.perf_counter() - t
        sent = Notification.objects.filter(dedupe_key__startswith=f"{prefix}:", status=Notification.SENT,
                                           channel=channel).count()
        assert sent == MESSAGES, f"{channel}: {sent} of {MESSAGES} sent"
        return elapsed

    common = dict(WECHAT_APPID=api.appid, WECHAT_APP_SECRET=api.secret, WECHAT_API_BASE=url,
                  WECHAT_TEMPLATE_NOTICE=template, SMS_PROVIDER="local")
    with override_settings(NOTIFICATION_CHANNEL="sms", **common):
        sms = run("sms", "sms")
    Farmer.objects.filter(pk=farmer.pk).update(wechat_openid=openid)
    with override_settings(NOTIFICATION_CHANNEL="wechat", **common):
        wx = run("wechat", "wx")
        # A retry of every message after a lost reply: the same client_msg_id, nothing new reaches the phone.
        for n in range(MESSAGES):
            note = Notification.objects.get(dedupe_key=f"wx:{n}")
            notifications.WeChatTemplateChannel().send(note)
    api.stop()
    print(f"{MESSAGES} messages, each notify() + deliver():")
    print(f"  SMS (local gateway)          {MESSAGES / sms:7.0f}/s  {sms / MESSAGES * 1000:5.1f} ms each")
    print(f"  WeChat (HTTP, local WeChat)  {MESSAGES / wx:7.0f}/s  {wx / MESSAGES * 1000:5.1f} ms each")
    print(f"  token fetches: {api.count('/cgi-bin/token')}; template/send requests: "
          f"{api.count('/cgi-bin/message/template/send')}; messages that reached the phone: {len(api.messages)}")


if __name__ == "__main__":
    main()

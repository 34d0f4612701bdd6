"""The ``wx`` fixture: the local fake of WeChat's official-account API (orders/services/wechat/local.py) on a
thread, and the shop pointed at it. Only the addresses differ from production; the appid is new for each test
so cached tokens and tickets of one test are never another's."""

import secrets

import pytest
from django.test import override_settings

from orders.services.wechat.local import LocalWeChat


@pytest.fixture
def wx():
    api = LocalWeChat(appid="wx" + secrets.token_hex(8))
    url = api.start()
    with override_settings(WECHAT_APPID=api.appid, WECHAT_APP_SECRET=api.secret, WECHAT_API_BASE=url,
                           WECHAT_OPEN_BASE=url):
        yield api
    api.stop()

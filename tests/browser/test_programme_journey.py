"""以购代捐 on a 360×640 phone: a Foshan institution's buyer orders through the programme link, pays in
the sandbox and receives the eggs; the programme's coordinator opens the report and downloads the
certificate PDF; the certificate's verification page confirms the same figures."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from coop.models import Notification
from orders.models import Order
from orders.models.programmes import ProgrammeCoordinator
from orders.services import orders as order_service
from orders.services.statements import issue_statement
from tests.browser.conftest import PHONE, screenshot
from tests.factories import make_pairing, make_user
from tests.orders.pdftext import draw_statements_readably, pdf_text

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _readable_pdf(monkeypatch):
    draw_statements_readably(monkeypatch)


@pytest.fixture
def pairing(personas):
    return make_pairing(personas)


def test_an_institution_buys_through_the_programme_and_the_coordinator_verifies_it(phone, browser, pairing,
                                                                                 personas):
    # The buyer (李主任 of a Foshan canteen) opens the programme's poster link.
    phone.goto(phone.url_for("/shop/p/ZNMG16"))
    expect(phone.get_by_text("您正在通过“紫南村—莫谷村结对帮扶”以购代捐")).to_be_visible()
    screenshot(phone, "programme-link-shop")
    phone.get_by_role("link", name=re.compile("绿壳鸡蛋 10枚装")).click()
    phone.get_by_label("盒数").fill("5")
    phone.get_by_role("button", name="立即购买").click()

    phone.get_by_label("手机号").fill("138 0000 1234")
    phone.get_by_role("button", name="获取验证码").click()
    body = Notification.objects.filter(phone="13800001234", event="buyer.login_code").latest("created_at").body
    phone.get_by_label("验证码").fill(re.search(r"\d{6}", body).group())
    phone.get_by_role("button", name="登录", exact=True).click()

    phone.wait_for_url("**/shop/checkout/")
    phone.get_by_label("收货地址（快递）").fill("佛山市禅城区紫南村 1 号 机关食堂")
    screenshot(phone, "programme-checkout")
    phone.get_by_role("button", name="提交订单").click()
    expect(phone.locator("#status")).to_have_text("待付款")
    order = Order.objects.get(buyer=pairing.buyer)
    assert order.attribution.programme == pairing.programme and order.attribution.organisation == pairing.org

    phone.get_by_role("button", name="微信支付").click()
    expect(phone.locator("#amount")).to_have_text("¥199.50")
    phone.get_by_role("button", name="确认支付").click()
    expect(phone.locator("#status")).to_have_text("已付款")

    # The collective packs and ships; the canteen receives the eggs.
    order.refresh_from_db()
    order_service.pack_order(order, user=personas.manager_a)
    order_service.mark_shipped(order, courier_company="顺丰速运", tracking_no="SF1234567890",
                               user=personas.manager_a)
    phone.goto(phone.url_for("/shop/statements/"))
    expect(phone.get_by_text("已计入")).to_be_visible()
    phone.get_by_role("button", name="提交验收评价").click()
    expect(phone.get_by_text("谢谢，验收评价已提交。")).to_be_visible()
    screenshot(phone, "programme-buyer-statements")
    order_service.complete(Order.objects.get(pk=order.pk), user=personas.manager_a, reason="食堂签收")

    today = timezone.localdate()
    statement = issue_statement(programme=pairing.programme, organisation=pairing.org, start=today, end=today,
                                user=personas.manager_a)

    # The coordinator of the programme, on their own phone.
    coordinator = make_user("zinan-coordinator")
    ProgrammeCoordinator.objects.create(user=coordinator, programme=pairing.programme)
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, locale="zh-CN")
    page = context.new_page()
    page.goto(phone.url_for("/programmes/"))
    page.get_by_label("用户名").fill("zinan-coordinator")
    page.get_by_label("密码").fill(coordinator.raw_password)
    page.get_by_role("button", name="登录").click()
    page.get_by_role("link", name=re.compile("紫南村—莫谷村结对帮扶")).click()
    expect(page.locator("[data-figure=income]")).to_have_text("¥199.50")
    expect(page.locator("[data-figure=reached]")).to_have_text("¥68.50")  # 50 eggs × ¥1.37 on the ledger
    expect(page.locator("svg.chart")).to_be_visible()
    screenshot(page, "programme-coordinator-report")

    link = page.get_by_role("link", name="下载 PDF")
    pdf = page.request.get(phone.url_for(link.get_attribute("href")))
    assert pdf.headers["content-type"] == "application/pdf"
    printed = pdf_text(pdf.body())
    assert "¥199.50" in printed and statement.code in printed

    # Anyone scanning the certificate's QR code sees the same figures.
    page.goto(phone.url_for(f"/v/{statement.code}"))
    expect(page.get_by_role("heading", name=re.compile("证明真实有效"))).to_be_visible()
    expect(page.locator("#amount")).to_have_text("¥199.50")
    expect(page.locator("#reached")).to_have_text("¥68.50")
    assert "¥68.50" in printed
    screenshot(page, "programme-verify")
    assert page.goto(phone.url_for("/v/FORGED2345ABCDEF")).status == 404
    context.close()

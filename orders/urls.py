"""URLs of the shop: ``urlpatterns`` (pages, namespace ``shop``) and ``api_urlpatterns`` (under /api/).

/shop/, /shop/g/<code>, /shop/p/<code> and /v/<code> are shared in chats and printed on posters and
certificates: never change them."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from orders.api import catalog as catalog_api
from orders.api import groupbuys as groupbuys_api
from orders.api import orders as orders_api
from orders.api import payments as payments_api
from orders.api import programmes as programmes_api
from orders.views import (
    aftersale,
    buyers,
    groupbuys,
    invoices,
    manage,
    payments,
    posters,
    programmes,
    receipts,
    shop,
)

app_name = "shop"

urlpatterns = [
    path("shop/", shop.home, name="home"),
    path("shop/p/<int:pk>/", shop.product_detail, name="product"),
    path("shop/p/<int:pk>/poster.png", posters.product_poster, name="product-poster"),
    path("shop/cart/", shop.cart, name="cart"),
    path("shop/text-only/", shop.text_only_mode, name="text-only"),
    path("shop/cart/update/", shop.cart_update, name="cart-update"),
    path("shop/checkout/", shop.checkout, name="checkout"),
    path("shop/orders/", shop.my_orders, name="my-orders"),
    path("shop/orders/<str:number>/", shop.order_detail, name="order"),
    path("shop/orders/<str:number>/pay/", shop.order_pay, name="order-pay"),
    path("shop/orders/<str:number>/cancel/", shop.order_cancel, name="order-cancel"),
    path("shop/orders/<str:number>/receive/", aftersale.receive, name="order-receive"),
    path("shop/orders/<str:number>/aftersale/", aftersale.request_form, name="order-aftersale"),
    path("shop/orders/<str:number>/reorder/", aftersale.reorder, name="order-reorder"),
    path("shop/orders/<str:number>/invoice/", invoices.request_form, name="order-invoice"),
    path("shop/orders/<str:number>/invoice.pdf", invoices.invoice_pdf, name="order-invoice-pdf"),
    path("shop/orders/<str:number>/receipt/", receipts.receipt_page, name="order-receipt"),
    path("shop/orders/<str:number>/receipt.pdf", receipts.receipt_pdf, name="order-receipt-pdf"),
    path("files/aftersale-photos/<int:pk>/", aftersale.aftersale_photo, name="aftersale-photo"),
    path("shop/orders/<str:number>/pickup-qr.png", posters.order_pickup_qr, name="order-pickup-qr"),
    path("shop/login/", buyers.sign_in, name="login"),
    path("shop/login/wechat/", buyers.wechat_start, name="wechat-login"),
    path("shop/login/wechat/callback/", buyers.wechat_callback, name="wechat-callback"),
    path("shop/sandbox/oauth/authorize/", buyers.wechat_authorize, name="wechat-authorize"),
    path("shop/logout/", buyers.sign_out, name="logout"),
    path("shop/me/", buyers.profile, name="profile"),
    path("shop/me/addresses/<str:address_id>/edit/", buyers.address_edit, name="address-edit"),
    path("shop/me/addresses/<str:address_id>/delete/", buyers.address_delete, name="address-delete"),
    path("shop/regions/<str:province>.json", buyers.region_cities, name="regions"),
    path("shop/sandbox/pay/<str:out_trade_no>/", payments.cashier, name="sandbox-cashier"),
    path("shop/g/<str:code>", groupbuys.page, name="groupbuy"),
    path("shop/g/<str:code>/poster.png", posters.groupbuy_poster, name="groupbuy-poster"),
    path("shop/g/<str:code>/pickup/", groupbuys.pickup, name="groupbuy-pickup"),
    path("shop/g/<str:code>/summary/", groupbuys.summary, name="groupbuy-summary"),
    path("shop/manage/", manage.queue, name="manage"),
    path("shop/manage/packing/", manage.packing_list, name="manage-packing"),
    path("shop/manage/g/new/", manage.groupbuy_new, name="manage-groupbuy-new"),
    path("shop/manage/pickup/", manage.pickup_list, name="manage-pickup"),
    path("shop/manage/p/<int:pk>/photos/", manage.product_photos, name="manage-product-photos"),
    path("shop/manage/p/<int:pk>/photos/delete/", manage.product_photo_delete, name="manage-product-photo-delete"),
    path("shop/manage/invoices/", invoices.manage_list, name="manage-invoices"),
    path("shop/manage/invoices/<str:number>/", invoices.manage_one, name="manage-invoice"),
    path("shop/manage/o/<str:number>/", manage.order_page, name="manage-order"),
    path("shop/manage/o/<str:number>/action/", manage.order_action, name="manage-order-action"),
]

# Pairing programmes (/shop/p/<code>, /shop/statements/, /v/<code>, /programmes/…), named shop:programme-*.
urlpatterns += [
    path("shop/p/<str:code>", programmes.programme_link, name="programme-link"),
    path("shop/p/<str:code>/", programmes.programme_link),  # typed with a slash (digits are the shop's products)
    path("shop/p/<str:code>/programme-poster.png", programmes.programme_poster, name="programme-poster"),
    path("shop/statements/", programmes.my_programmes, name="programme-mine"),
    path("shop/statements/rate/<str:number>", programmes.rate_order, name="programme-rate"),
    path("shop/statements/terms/<str:number>", programmes.order_terms, name="programme-terms"),
    path("v/<str:code>", programmes.verify, name="programme-verify"),
    path("programmes/login/", programmes.CoordinatorLoginView.as_view(), name="programme-login"),
    path("programmes/", programmes.programme_list, name="programme-list"),
    path("programmes/monitoring/", programmes.monitoring_report, name="programme-monitoring"),
    path("programmes/<int:pk>/", programmes.programme_report, name="programme-report"),
    path("programmes/<int:pk>/report.xlsx", programmes.programme_report_xlsx, name="programme-report-xlsx"),
    path("programmes/<int:pk>/agreement/", programmes.programme_agreement, name="programme-agreement"),
    path("programmes/<int:pk>/statements/issue", programmes.issue_statement, name="programme-issue"),
    path("programmes/statements/<str:code>.pdf", programmes.statement_pdf, name="programme-statement-pdf"),
]

router = SimpleRouter()
router.register("products", catalog_api.ProductViewSet, basename="product")
router.register("group-buys", groupbuys_api.GroupBuyViewSet, basename="group-buy")
router.register("orders", orders_api.OrderViewSet, basename="order")
# Pairing programmes: /api/programmes/ (+ /<id>/report/), /api/pledges/, /api/statements/.
router.register("programmes", programmes_api.ProgrammeViewSet, basename="programme")
router.register("pledges", programmes_api.PledgeViewSet, basename="pledge")
router.register("statements", programmes_api.StatementViewSet, basename="statement")

api_urlpatterns = [
    path("payments/notify/<str:provider>/", payments_api.PaymentNotifyView.as_view(), name="orders-pay-notify"),
] + router.urls

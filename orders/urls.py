"""Shop pages. /shop/ and /shop/g/<code> are shared in chats and printed on posters: never change them."""

from django.urls import include, path

from orders.views import account, groupbuy, manage, pay, poster, shop

app_name = "shop"

urlpatterns = [
    path("shop/", shop.home, name="home"),
    path("shop/p/<int:pk>/", shop.product_detail, name="product"),
    path("shop/p/<int:pk>/poster.png", poster.product_poster, name="product-poster"),
    path("shop/cart/", shop.cart, name="cart"),
    path("shop/cart/update/", shop.cart_update, name="cart-update"),
    path("shop/checkout/", shop.checkout, name="checkout"),
    path("shop/orders/", shop.my_orders, name="my-orders"),
    path("shop/orders/<str:number>/", shop.order_detail, name="order"),
    path("shop/orders/<str:number>/pay/", shop.order_pay, name="order-pay"),
    path("shop/orders/<str:number>/cancel/", shop.order_cancel, name="order-cancel"),
    path("shop/orders/<str:number>/pickup-qr.png", poster.order_pickup_qr, name="order-pickup-qr"),
    path("shop/login/", account.sign_in, name="login"),
    path("shop/login/wechat/", account.wechat_start, name="wechat-login"),
    path("shop/login/wechat/callback/", account.wechat_callback, name="wechat-callback"),
    path("shop/sandbox/oauth/authorize/", account.wechat_authorize, name="wechat-authorize"),
    path("shop/logout/", account.sign_out, name="logout"),
    path("shop/me/", account.profile, name="profile"),
    path("shop/sandbox/pay/<str:out_trade_no>/", pay.cashier, name="sandbox-cashier"),
    path("shop/g/<str:code>", groupbuy.page, name="groupbuy"),
    path("shop/g/<str:code>/poster.png", poster.groupbuy_poster, name="groupbuy-poster"),
    path("shop/g/<str:code>/pickup/", groupbuy.pickup, name="groupbuy-pickup"),
    path("shop/g/<str:code>/summary/", groupbuy.summary, name="groupbuy-summary"),
    path("shop/manage/", manage.queue, name="manage"),
    path("shop/manage/packing/", manage.packing_list, name="manage-packing"),
    path("shop/manage/g/new/", manage.groupbuy_new, name="manage-groupbuy-new"),
    path("shop/manage/pickup/", manage.pickup_list, name="manage-pickup"),
    path("shop/manage/o/<str:number>/", manage.order_page, name="manage-order"),
    path("shop/manage/o/<str:number>/action/", manage.order_action, name="manage-order-action"),
]

# Pairing programmes (/shop/p/<code>, /shop/statements/, /v/<code>, /programmes/…), named shop:programme-*.
urlpatterns += [path("", include("orders.urls_programmes"))]

from django.urls import path
from rest_framework.routers import SimpleRouter

from orders import api

router = SimpleRouter()
router.register("products", api.ProductViewSet, basename="product")
router.register("group-buys", api.GroupBuyViewSet, basename="group-buy")
router.register("orders", api.OrderViewSet, basename="order")

urlpatterns = [
    path("payments/notify/<str:provider>/", api.PaymentNotifyView.as_view(), name="orders-pay-notify"),
] + router.urls

# Pairing programmes: /api/programmes/ (+ /<id>/report/), /api/pledges/, /api/statements/.
urlpatterns += __import__("orders.api_programmes", fromlist=["urlpatterns"]).urlpatterns

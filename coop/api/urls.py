from django.urls import path
from rest_framework.routers import DefaultRouter

from coop.api import books, views

router = DefaultRouter()
router.register("cooperatives", views.CooperativeViewSet, basename="cooperative")
router.register("villages", views.VillageViewSet, basename="village")
router.register("farmers", views.FarmerViewSet, basename="farmer")
router.register("deliveries", books.DeliveryViewSet, basename="delivery")
router.register("batches", books.BatchViewSet, basename="batch")
router.register("ledger", books.LedgerViewSet, basename="ledger")
router.register("settlements", books.SettlementViewSet, basename="settlement")

urlpatterns = [path("auth/token/", views.TokenView.as_view(), name="api-token")] + router.urls

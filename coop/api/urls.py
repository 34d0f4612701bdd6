from django.urls import path
from rest_framework.routers import DefaultRouter

from coop.api import views

router = DefaultRouter()
router.register("cooperatives", views.CooperativeViewSet, basename="cooperative")
router.register("villages", views.VillageViewSet, basename="village")
router.register("farmers", views.FarmerViewSet, basename="farmer")

urlpatterns = [path("auth/token/", views.TokenView.as_view(), name="api-token")] + router.urls

from django.urls import path

from coop.farmer import offline, views

# /farmer/ is printed on member cards: these paths never change.
urlpatterns = [
    path("farmer/", views.home, name="farmer-home"),
    path("farmer/login/", views.sign_in, name="farmer-login"),
    path("farmer/logout/", views.sign_out, name="farmer-logout"),
    path("farmer/deliveries/", views.deliveries, name="farmer-deliveries"),
    path("farmer/deliveries/<int:pk>/", views.delivery_detail, name="farmer-delivery"),
    path("farmer/money/", views.money, name="farmer-money"),
    path("farmer/payslips/<int:pk>/", views.payslip, name="farmer-payslip"),
    path("farmer/rewards/", views.rewards, name="farmer-rewards"),
    path("farmer/notifications/", views.notifications, name="farmer-notifications"),
    path("farmer/card/", views.my_card, name="farmer-card"),
] + offline.urlpatterns

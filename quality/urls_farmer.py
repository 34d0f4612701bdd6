from django.urls import path

from quality import farmer_views

# Linked from the farmer home page (/farmer/) and from penalty notifications: never change them.
urlpatterns = [
    path("farmer/penalties/", farmer_views.penalties, name="farmer-penalties"),
    path("farmer/penalties/<int:pk>/", farmer_views.penalty_detail, name="farmer-penalty"),
    path("farmer/penalties/<int:pk>/appeal/", farmer_views.appeal, name="farmer-appeal"),
    path("farmer/charter/", farmer_views.charter, name="farmer-charter"),
]

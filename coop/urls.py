"""Root URLs, and the collective's own pages and API. The public ones (/t/, /01/, /shop/, /farmer/, /v/,
/notice/) are printed on paper and shared in chats: they must never change.

Each app's ``urls.py`` holds ``urlpatterns`` (pages) and ``api_urlpatterns`` (under /api/); quality's also
holds ``dashboard_urlpatterns`` (under /admin/dashboard/).
"""

from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from coop.api import accounts as accounts_api
from coop.api import batches as batches_api
from coop.api import intake as intake_api
from coop.api import ledger as ledger_api
from coop.api import org as org_api
from coop.api import settlements as settlements_api
from coop.lib.media import serve_public_media
from coop.views import farmers, health, imports, intake, offline, packing, payslips, settlements, site, twofactor
from orders import urls as orders_urls
from quality import urls as quality_urls

# /farmer/ is printed on member cards: these paths never change.
farmer_urlpatterns = [
    path("farmer/", farmers.home, name="farmer-home"),
    path("farmer/login/", farmers.sign_in, name="farmer-login"),
    path("farmer/logout/", farmers.sign_out, name="farmer-logout"),
    path("farmer/deliveries/", farmers.deliveries, name="farmer-deliveries"),
    path("farmer/deliveries/<int:pk>/", farmers.delivery_detail, name="farmer-delivery"),
    path("farmer/money/", farmers.money, name="farmer-money"),
    path("farmer/payslips/<int:pk>/", farmers.payslip, name="farmer-payslip"),
    path("farmer/rewards/", farmers.rewards, name="farmer-rewards"),
    path("farmer/notifications/", farmers.notifications, name="farmer-notifications"),
    path("farmer/wechat/bind/", farmers.wechat_bind, name="farmer-wechat-bind"),
    path("farmer/wechat/callback/", farmers.wechat_callback, name="farmer-wechat-callback"),
    path("farmer/wechat/unbind/", farmers.wechat_unbind, name="farmer-wechat-unbind"),
    path("farmer/card/", farmers.my_card, name="farmer-card"),
]

# Pages of the collective: intake at the collection point (online and offline), receipts, packing,
# settlement runs, payslips.
books_urlpatterns = [
    path("intake/", intake.intake, name="books-intake"),
    path("intake/receipt/<int:pk>/", intake.receipt, name="books-receipt"),
    path("intake/receipt/<int:pk>/confirm/", intake.confirm, name="books-delivery-confirm"),
    path("intake/farmers/", intake.farmer_lookup, name="intake-farmer-lookup"),
    path("intake/sw.js", offline.service_worker, name="intake-sw"),
    path("intake/manifest.webmanifest", offline.manifest, name="intake-manifest"),
    path("intake/offline/sync/", offline.sync, name="intake-sync"),
    path("books/pack/", packing.pack, name="books-pack"),
    path("books/settle/", settlements.settle, name="books-settle"),
    path("books/settle/run/<int:pk>/", settlements.run_progress, name="books-run"),
    path("books/settlements/", settlements.settlements, name="books-settlements"),
    path("books/settlements/export.xlsx", settlements.export_xlsx, name="books-export"),
    path("books/farmers/import/", imports.upload, name="books-import"),
    path("books/farmers/import/confirm/", imports.confirm, name="books-import-confirm"),
    path("books/farmers/import/<int:pk>/", imports.done, name="books-import-done"),
    path("books/farmers/template.xlsx", imports.template, name="books-import-template"),
    path("books/farmers/export.<str:fmt>", imports.export, name="books-farmers-export"),
    path("books/deliveries/import/", imports.deliveries_upload, name="books-deliveries-import"),
    path("books/deliveries/import/confirm/", imports.deliveries_confirm, name="books-deliveries-import-confirm"),
    path("books/deliveries/template.xlsx", imports.deliveries_template, name="books-deliveries-import-template"),
    path("books/payslip/<int:pk>/", payslips.payslip, name="books-payslip"),
    path("books/payslip/<int:pk>.pdf", payslips.payslip_pdf, name="books-payslip-pdf"),
]

# The staff second factor (coop/services/twofactor.py): the addresses are in its ENROL_URL / VERIFY_URL too,
# which the API's refusal names.
account_urlpatterns = [
    path("account/2fa/", twofactor.enrol, name="twofactor-enrol"),
    path("account/2fa/start/", twofactor.start, name="twofactor-start"),
    path("account/2fa/confirm/", twofactor.confirm, name="twofactor-confirm"),
    path("account/2fa/verify/", twofactor.verify, name="twofactor-verify"),
    path("account/2fa/recovery-codes/", twofactor.recovery_codes, name="twofactor-codes"),
]

router = DefaultRouter()
router.register("cooperatives", org_api.CooperativeViewSet, basename="cooperative")
router.register("villages", org_api.VillageViewSet, basename="village")
router.register("farmers", org_api.FarmerViewSet, basename="farmer")
router.register("deliveries", intake_api.DeliveryViewSet, basename="delivery")
router.register("batches", batches_api.BatchViewSet, basename="batch")
router.register("ledger", ledger_api.LedgerViewSet, basename="ledger")
router.register("settlements", settlements_api.SettlementViewSet, basename="settlement")

api_urlpatterns = [path("auth/token/", accounts_api.TokenView.as_view(), name="api-token")] + router.urls

urlpatterns = [
    path("", site.landing, name="landing"),
    path("healthz", health.healthz, name="healthz"),
    path("favicon.ico", site.favicon, name="favicon"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    # Before the admin: its catch-all would 404 it.
    path("admin/dashboard/", include(quality_urls.dashboard_urlpatterns)),
    *quality_urls.workbench_urlpatterns,
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its start-up script as a file: no inline script under the CSP.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/", include(api_urlpatterns)),
    path("api/", include(quality_urls.api_urlpatterns)),
    path("api/", include(orders_urls.api_urlpatterns)),
    *books_urlpatterns,
    *account_urlpatterns,
    *farmer_urlpatterns,
    path("", include("quality.urls")),
    path("", include("orders.urls")),
]

if settings.DEBUG:
    # Public uploads only: serve_public_media refuses MEDIA_ROOT/private/ (the checked views serve those).
    urlpatterns += static(settings.MEDIA_URL, view=serve_public_media, document_root=settings.MEDIA_ROOT)

"""REST API of the pairing programmes: programmes (+ their impact report), pledges, statements.

Who sees what is the same rule as on the pages: staff see their cooperatives' programmes,
coordinators only their own programme, an organisation's buyer its own pledges and statements.
Only managers write (register a pledge, issue a statement). Rows outside one's view answer 404.
"""

import datetime

from django.db.models import Q
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import exceptions, mixins, permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from coop.api.base import PageFiguresMixin
from coop.lib import tenancy
from coop.lib.validators import optional_id
from orders.models.programmes import BuyerOrganisation, Pledge, Programme, Statement
from orders.services import impact, statements
from orders.services import programmes as svc


def _visible_programme_ids(user):
    return svc.visible_programmes(user).values("pk")


def _own_organisation(user):
    buyer = getattr(user, "buyer", None) if hasattr(user, "buyer") else None
    return svc.organisation_of(buyer) if buyer is not None else None


class ProgrammeSerializer(serializers.ModelSerializer):
    villages = serializers.SlugRelatedField(slug_field="name", many=True, read_only=True)
    counted_income = serializers.SerializerMethodField()

    class Meta:
        model = Programme
        fields = ["id", "code", "name", "cooperative", "east_organisation", "east_city", "east_province",
                  "framework", "villages", "starts_on", "ends_on", "status", "counted_income"]

    def get_counted_income(self, obj) -> str:
        income = getattr(obj, "counted_income", None)  # set for a whole page by ProgrammeViewSet
        return str(income if income is not None else svc.counted_total(obj))


MonthRow = inline_serializer("ProgrammeReportMonth", {
    "month": serializers.CharField(), "income": serializers.DecimalField(12, 2), "eggs": serializers.IntegerField(),
    "orders": serializers.IntegerField(allow_null=True), "households": serializers.IntegerField(),
    "reached": serializers.DecimalField(12, 2)}, many=True)
VillageRow = inline_serializer("ProgrammeReportVillage", {
    "village_id": serializers.IntegerField(), "name": serializers.CharField(),
    "income": serializers.DecimalField(12, 2), "eggs": serializers.IntegerField(),
    "households": serializers.IntegerField(), "reached": serializers.DecimalField(12, 2)}, many=True)
HouseholdRow = inline_serializer("ProgrammeReportHousehold", {
    "member_no": serializers.CharField(), "name": serializers.CharField(), "village": serializers.CharField(),
    "eggs": serializers.IntegerField(), "reached": serializers.DecimalField(12, 2)}, many=True)
ReportSerializer = inline_serializer("ProgrammeReport", {
    "programme": serializers.IntegerField(), "village": serializers.IntegerField(allow_null=True),
    "totals": inline_serializer("ProgrammeReportTotals", {
        "income": serializers.DecimalField(12, 2), "eggs": serializers.IntegerField(),
        "orders": serializers.IntegerField(allow_null=True), "households": serializers.IntegerField(),
        "reached": serializers.DecimalField(12, 2), "unpacked_income": serializers.DecimalField(12, 2)}),
    "months": MonthRow, "villages": VillageRow, "households": HouseholdRow})


def _date_param(request, name):
    value = request.query_params.get(name)
    if not value:
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise serializers.ValidationError({name: [_("日期格式应为 YYYY-MM-DD。")]}) from None


def _money(rows, keys):
    return [{k: (str(v) if k in keys else v) for k, v in r.items() if k != "farmer_id" and k != "poverty_status"}
            for r in rows]


class ProgrammeViewSet(PageFiguresMixin, viewsets.ReadOnlyModelViewSet):
    """Pairing programmes you may see (staff: your cooperatives'; coordinators: your own)."""

    serializer_class = ProgrammeSerializer
    permission_classes = [permissions.IsAuthenticated]

    def page_figures(self, rows):
        incomes = svc.counted_totals([p.pk for p in rows])
        for p in rows:
            p.counted_income = incomes[p.pk]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Programme.objects.none()
        return svc.visible_programmes(self.request.user).prefetch_related("villages").order_by("-starts_on", "id")

    @extend_schema(parameters=[OpenApiParameter("start", OpenApiTypes.DATE), OpenApiParameter("end", OpenApiTypes.DATE),
                               OpenApiParameter("village", OpenApiTypes.INT)],
                   responses={200: ReportSerializer})
    @action(detail=True, methods=["get"])
    def report(self, request, pk=None):
        """The impact report: income, eggs, households paid and money that reached households, by month."""
        programme = self.get_object()
        village_id = optional_id(request.query_params.get("village"))
        village = programme.cooperative.villages.filter(pk=village_id).first() if village_id else None
        report = impact.programme_report(programme, start=_date_param(request, "start"),
                                         end=_date_param(request, "end"), village=village)
        money = {"income", "reached", "unpacked_income"}
        return Response({
            "programme": programme.pk, "village": village.pk if village else None,
            "totals": {k: (str(v) if k in money else v) for k, v in report["totals"].items()},
            "months": _money(report["months"], money), "villages": _money(report["villages"], money),
            "households": _money(report["households"], money),
        })


class PledgeSerializer(serializers.ModelSerializer):
    progress = serializers.SerializerMethodField()

    class Meta:
        model = Pledge
        fields = ["id", "organisation", "programme", "amount", "period_start", "period_end", "note", "progress"]

    def get_progress(self, obj) -> dict:
        p = getattr(obj, "progress", None) or svc.pledge_progress(obj)  # a page's: set by PledgeViewSet
        return {k: (str(v) if not isinstance(v, (bool, int)) else v) for k, v in p.items()}

    def validate(self, attrs):
        org, programme = attrs["organisation"], attrs["programme"]
        if org.cooperative_id != programme.cooperative_id:
            raise serializers.ValidationError({"organisation": [_("这个单位不属于该项目的合作社。")]})
        if attrs["period_start"] > attrs["period_end"]:
            raise serializers.ValidationError({"period_end": [_("截止日期不能早于开始日期。")]})
        return attrs


class PledgeViewSet(PageFiguresMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Reserved shares (预留份额) with their progress from paid, unrefunded orders. Managers register them."""

    serializer_class = PledgeSerializer
    permission_classes = [permissions.IsAuthenticated]

    def page_figures(self, rows):
        progress = svc.pledges_progress(rows)
        for p in rows:
            p.progress = progress[p.pk]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Pledge.objects.none()
        user = self.request.user
        org = _own_organisation(user)
        q = Q(programme__in=_visible_programme_ids(user))
        if org is not None:
            q |= Q(organisation=org)
        return Pledge.objects.filter(q).select_related("programme", "organisation").order_by("period_end", "id")

    def get_serializer(self, *args, **kwargs):
        serializer = super().get_serializer(*args, **kwargs)
        if "data" in kwargs:
            # Managers may only pledge for organisations and programmes of their own cooperatives.
            ids = tenancy.cooperative_ids(self.request.user, (tenancy.Staff.MANAGER,))
            serializer.fields["programme"].queryset = Programme.objects.filter(cooperative_id__in=ids)
            serializer.fields["organisation"].queryset = BuyerOrganisation.objects.filter(cooperative_id__in=ids)
        return serializer

    def create(self, request, *args, **kwargs):
        if not tenancy.cooperative_ids(request.user, (tenancy.Staff.MANAGER,)):
            raise exceptions.PermissionDenied(_("只有合作社管理员可以登记预留份额。"))
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer):
        serializer.instance = svc.register_pledge(Pledge(**serializer.validated_data), user=self.request.user)


class StatementSerializer(serializers.ModelSerializer):
    pdf_url = serializers.SerializerMethodField()
    verify_url = serializers.SerializerMethodField()

    class Meta:
        model = Statement
        fields = ["id", "code", "kind", "programme", "organisation", "period_start", "period_end", "figures",
                  "issued_at", "pdf_url", "verify_url"]
        read_only_fields = ["code", "figures", "issued_at"]

    def get_pdf_url(self, obj) -> str:
        return f"/programmes/statements/{obj.code}.pdf"

    def get_verify_url(self, obj) -> str:
        return statements.verify_url(obj)


class StatementViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Statements and certificates. Managers issue them (figures are computed and frozen)."""

    serializer_class = StatementSerializer
    permission_classes = [permissions.IsAuthenticated]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Statement.objects.none()
        user = self.request.user
        org = _own_organisation(user)
        q = Q(programme__in=_visible_programme_ids(user))
        if org is not None:
            q |= Q(organisation=org)
        return Statement.objects.filter(q).select_related("programme", "organisation")

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if not svc.can_manage(request.user, data["programme"]):
            raise exceptions.PermissionDenied(_("只有该项目合作社的管理员可以出具证明。"))
        st = statements.issue_statement(programme=data["programme"], organisation=data["organisation"],
                                        start=data["period_start"], end=data["period_end"],
                                        kind=data.get("kind", Statement.CERTIFICATE), user=request.user)
        return Response(self.get_serializer(st).data, status=201)

"""Admin of notifications sent to households and buyers (read-only log), in words: "短信", "交蛋回执"."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from coop.admin.base import AppendOnlyAdmin, ReadOnlyInline
from coop.lib.words import channel_label
from coop.models import Notification, NotificationAttempt
from coop.services.notifications import event_label


class NotificationAttemptInline(ReadOnlyInline):
    """Each call to the channel for one notification: when, ok or the error, the gateway's message id."""

    model = NotificationAttempt
    extra = 0
    can_delete = False
    fields = ("created_at", "channel_words", "ok", "provider_ref", "error")
    readonly_fields = fields

    @admin.display(description=_("渠道"))
    def channel_words(self, obj):
        return channel_label(obj.channel)


class WordsFilter(admin.SimpleListFilter):
    """A filter on a code field whose choices are shown by their words."""

    words = staticmethod(str)

    def lookups(self, request, model_admin):
        codes = model_admin.get_queryset(request).order_by().values_list(self.parameter_name, flat=True).distinct()
        return sorted(((c, self.words(c)) for c in codes), key=lambda pair: str(pair[1]))

    def queryset(self, request, queryset):
        return queryset.filter(**{self.parameter_name: self.value()}) if self.value() else queryset


class EventFilter(WordsFilter):
    title = _("事件")
    parameter_name = "event"
    words = staticmethod(event_label)


class ChannelFilter(WordsFilter):
    title = _("渠道")
    parameter_name = "channel"
    words = staticmethod(channel_label)


@admin.register(Notification)
class NotificationAdmin(AppendOnlyAdmin):
    list_display = ("created_at", "event_words", "farmer", "phone", "channel_words", "status", "attempts", "sent_at")
    list_select_related = ("farmer",)
    list_filter = ("status", EventFilter, ChannelFilter)
    search_fields = ("dedupe_key", "phone", "farmer__head_name", "farmer__member_no")  # log (issue 8)
    inlines = [NotificationAttemptInline]
    fields = ("created_at", "event_words", "farmer", "phone", "channel_words", "body", "status", "attempts", "error",
              "sent_at", "dedupe_key")
    readonly_fields = fields

    @admin.display(description=_("事件"), ordering="event")
    def event_words(self, obj):
        return event_label(obj.event)

    @admin.display(description=_("渠道"), ordering="channel")
    def channel_words(self, obj):
        return channel_label(obj.channel)

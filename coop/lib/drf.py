"""DRF plumbing named in settings.REST_FRAMEWORK / SPECTACULAR_SETTINGS: pagination, token sign-in, the
filter backend, the JSON-object parser and the schema hook documenting the error shape.

Kept apart from coop/api/base.py: DRF reads these settings while ``rest_framework.views`` is being
imported, so the module that defines them must not import DRF's views itself.

Three of them take per-request work off every API call (issue 18; measured in docs/BENCHMARKS.md,
"Where an API request's and a shop page's time goes"): a list that fits on page 1 needs no ``COUNT(*)``;
a token is looked up in the cache, not in PostgreSQL, until it is revoked or its user changes;
django-filter's FilterSet class is made once per view, and not run when no filter was asked for.
"""

import hashlib
import logging

from django.conf import settings
from django.core.cache import cache
from django.core.paginator import Paginator as DjangoPaginator
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import authentication, exceptions, pagination, parsers

log = logging.getLogger(__name__)


class FirstPagePaginator(DjangoPaginator):
    """Django's paginator, without the ``COUNT(*)`` when the whole list is on page 1: page 1 is read with
    one row more than it shows; fewer than that came back, so their number is the count. A longer list
    counts as before (the same two queries)."""

    def page(self, number):
        if number not in (1, "1") or "count" in self.__dict__:
            return super().page(number)
        shown = self.per_page + self.orphans  # the most rows page 1 holds (Django's orphans rule)
        rows = list(self.object_list[:shown + 1])
        if len(rows) <= shown:
            self.__dict__["count"] = len(rows)  # what the cached_property would have counted
            return self._get_page(rows, 1, self)
        return self._get_page(rows[:self.per_page], 1, self)


class Pagination(pagination.PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 500
    django_paginator_class = FirstPagePaginator


# --- Token sign-in, cached ------------------------------------------------------------------------------
# ``Authorization: Token …`` was a PostgreSQL query (token joined to its user) on every API call. The
# token with its user now sits in the cache (Redis in production, shared by every worker) for
# API_TOKEN_CACHE_SECONDS. It is dropped the moment the token is deleted (revoked) or its user is saved
# or deleted (deactivated, made superuser, renamed) — receivers connected in coop/apps.py — and a
# "changed" mark is left for as long as an entry could live: a request that read the old row just before
# the change and writes it to the cache just after cannot bring it back, because a marked token is always
# read from the database. Only a valid token of an active user is ever cached; every refusal comes from
# the database with DRF's own messages. A cache outage falls back to the database.


def _token_keys(key):
    digest = hashlib.sha256(key.encode()).hexdigest()  # the token itself never becomes a Redis key name
    return f"api-token:{digest}", f"api-token-changed:{digest}"


class CachedTokenAuthentication(authentication.TokenAuthentication):
    """DRF's ``TokenAuthentication`` (same header, same answers) with the token → user look-up cached."""

    def authenticate_credentials(self, key):
        seconds = settings.API_TOKEN_CACHE_SECONDS
        if not seconds:
            return super().authenticate_credentials(key)
        entry_key, changed_key = _token_keys(key)
        try:
            found = cache.get_many([entry_key, changed_key])
        except Exception:  # noqa: BLE001 - any cache failure (Redis down, timeout) only loses the shortcut
            log.warning("token cache unreadable; using the database", exc_info=True)
            return super().authenticate_credentials(key)
        token = found.get(entry_key)
        if token is not None and changed_key not in found and token.key == key and token.user.is_active:
            return token.user, token
        user, token = super().authenticate_credentials(key)  # raises for an unknown token or inactive user
        if changed_key not in found:
            try:
                cache.set(entry_key, token, seconds)
            except Exception:  # noqa: BLE001 - as above
                log.warning("token not cached", exc_info=True)
        return user, token


def forget_tokens(keys):
    """Drop the cached entries of these token keys now and again after the commit, and mark them changed
    for longer than an entry lives (see above). Called by the receivers below."""
    keys = [k for k in keys if k]
    if not keys:
        return
    pairs = [_token_keys(k) for k in keys]

    def forget():
        try:
            cache.delete_many([entry for entry, _changed in pairs])
            cache.set_many({changed: 1 for _entry, changed in pairs}, 2 * settings.API_TOKEN_CACHE_SECONDS + 5)
        except Exception:  # noqa: BLE001 - an entry left behind expires by itself within its lifetime
            log.warning("cached token not forgotten", exc_info=True)

    forget()
    transaction.on_commit(forget, robust=True)


def token_changed(sender, instance, created=False, **kwargs):
    """Receiver of a token's post_save / post_delete (revoked, or re-issued). A new key was never cached."""
    if not created:
        forget_tokens([instance.pk])


def user_changed(sender, instance, created=False, **kwargs):
    """Receiver of a user's post_save / post_delete: deactivated, deleted, or any other change the cached
    copy must not keep. A save of ``last_login`` alone (every sign-in) changes nothing a token carries;
    a new user has no token yet."""
    if created or (kwargs.get("update_fields") is not None and set(kwargs["update_fields"]) <= {"last_login"}):
        return
    # Imported here: this module is read while DRF's settings load, before the app registry is ready.
    from rest_framework.authtoken.models import Token

    forget_tokens(list(Token.objects.filter(user_id=instance.pk).values_list("key", flat=True)))


# --- Filters --------------------------------------------------------------------------------------------


def _frozen(fields):
    if isinstance(fields, dict):
        return tuple((name, tuple(lookups)) for name, lookups in fields.items())
    return tuple(fields)


class FilterBackend(DjangoFilterBackend):
    """django-filter's backend for views that name ``filterset_fields``, without its per-request cost:
    the FilterSet class it would build on every request (a new class, the model's fields inspected) is
    made once per model and fields, and a request whose query string names none of its filters gets the
    queryset as it is — what the FilterSet returns when every filter is empty. A view with its own
    ``filterset_class`` goes through django-filter unchanged."""

    _classes = {}

    def get_filterset_class(self, view, queryset=None):
        fields = getattr(view, "filterset_fields", None)
        if getattr(view, "filterset_class", None) or not fields or queryset is None:
            return super().get_filterset_class(view, queryset)
        key = (self.filterset_base, queryset.model, _frozen(fields))
        filterset_class = self._classes.get(key)
        if filterset_class is None:
            filterset_class = self._classes[key] = super().get_filterset_class(view, queryset)
        return filterset_class

    def filter_queryset(self, request, queryset, view):
        if not getattr(view, "filterset_class", None):
            filterset_class = self.get_filterset_class(view, queryset)
            if filterset_class is None:
                return queryset
            # A prefix match, not equality: a range widget reads "<name>_min", "<name>_max".
            names = tuple(filterset_class.base_filters)
            if not any(param.startswith(names) for param in request.query_params):
                return queryset
        return super().filter_queryset(request, queryset, view)


class ObjectJSONParser(parsers.JSONParser):
    """Every write of this API takes a JSON object; anything else is bad input, answered with 400."""

    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        if not isinstance(data, dict):
            raise exceptions.ParseError(_("请求内容应为 JSON 对象。"))
        return data


ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "fields": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}},
            },
            "required": ["code", "message"],
        },
    },
    "required": ["error"],
}


ERRORS = {
    "400": "提交的数据有误 (bad input)",
    "401": "未登录 (not signed in)",
    "403": "无权操作 (not allowed)",
    "404": "不存在 (no such row or page)",
    "405": "不支持的方法 (method not allowed)",
    "409": "还有其他记录引用它 (still referenced)",
    "429": "请求太频繁 (throttled)",
}


METHODS = ("get", "post", "put", "patch", "delete")


PROTOCOL_PATHS = {"/api/payments/notify/{provider}/": "ProviderAnswer"}


PROVIDER_ANSWER = {
    "type": "object",
    "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
    "required": ["code"],
}


def document_errors(result, generator, request, public):
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["Error"] = ERROR_SCHEMA
    schemas["ProviderAnswer"] = PROVIDER_ANSWER
    for path, operations in result.get("paths", {}).items():
        name = PROTOCOL_PATHS.get(path, "Error")
        content = {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}}
        for method, operation in operations.items():
            if method not in METHODS:
                continue
            responses = operation.setdefault("responses", {})
            for code, description in ERRORS.items():
                responses.setdefault(code, {"description": description, "content": content})
    return result


def body_text(data, name, default=""):
    """The text field ``name`` of an action's request body (the actions that read one field without a
    serializer): a JSON list or object where a string belongs is answered 400, never passed on to a
    service that would fail on it with a 500. Numbers are read with ``coop.lib.validators.parse_int``."""
    value = data.get(name, default) if hasattr(data, "get") else default
    if value is None:
        return default
    if not isinstance(value, str):
        raise exceptions.ValidationError({name: [_("应为文字。")]})
    return value

"""Where to go after signing in: the ``next`` a form or link carries, if it is safe."""

from django.utils.http import url_has_allowed_host_and_scheme


def safe_next(request, default, *, under="/"):
    """``next`` from the form or the query string when it stays on this site and under ``under``
    (e.g. a household's sign-in only returns to the farmer pages), else ``default``."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if (target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                   require_https=request.is_secure())
            and target.startswith(under)):
        return target
    return default

"""Typed readers for settings that come from the environment.

Each reader refuses a value it does not understand instead of guessing: a typo in
production (``DEBUG=maybe``) must stop start-up with a clear message, not silently
turn debugging on or off.
"""

import os
from urllib.parse import urlparse

from django.core.exceptions import ImproperlyConfigured

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}


def env_str(name, default=""):
    return os.environ.get(name, default)


def env_bool(name, default):
    raw = os.environ.get(name)
    if raw is None:
        return default
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(
        f"{name}={raw!r} is not a yes/no value; use one of: true, false, 1, 0, yes, no, on, off."
    )


def env_int(name, default, minimum=None, maximum=None):
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number.") from None
    if minimum is not None and value < minimum or maximum is not None and value > maximum:
        raise ImproperlyConfigured(f"{name}={value} is outside {minimum}..{maximum}.")
    return value


def env_list(name, default):
    raw = os.environ.get(name)
    if raw is None:
        return list(default)
    return [part.strip() for part in raw.split(",") if part.strip()]


def env_url(name, default="", schemes=("http", "https")):

    raw = os.environ.get(name, default)
    if not raw:
        return raw
    parsed = urlparse(raw)
    if parsed.scheme not in schemes or not parsed.netloc:
        raise ImproperlyConfigured(
            f"{name}={raw!r} is not a valid URL; expected e.g. {schemes[0]}://host[:port]"
        )
    return raw.rstrip("/")


def child_environment(*, drop_prefix=""):
    """A copy of this process's environment for a subprocess, without the variables whose names start
    with ``drop_prefix`` (e.g. ``"PG"``: the caller then sets exactly the ones it means)."""
    return {k: v for k, v in os.environ.items() if not (drop_prefix and k.startswith(drop_prefix))}

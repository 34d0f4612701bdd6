"""Guarding the farmer pages: a signed-in household, seeing only its own records."""

import functools
from urllib.parse import urlencode

from django.http import HttpResponseRedirect

from coop.farmer.pin import household_of

LOGIN_PATH = "/farmer/login/"


def farmer_required(view):
    """Only a signed-in household; sets ``request.farmer``. Anyone else goes to the PIN sign-in.

    Every farmer view filters by ``request.farmer``, so another household's id in the URL is a 404.
    """

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        farmer = household_of(request.user)
        if farmer is None:
            return HttpResponseRedirect(f"{LOGIN_PATH}?{urlencode({'next': request.get_full_path()})}")
        request.farmer = farmer
        return view(request, *args, **kwargs)

    return wrapped

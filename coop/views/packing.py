"""The packing page (/books/pack/)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from coop.forms import PackForm
from coop.models import Batch
from coop.services.packing import PackingError, available_stock, pack_batch
from coop.views.base import LOGIN, manager_cooperative


@login_required(login_url=LOGIN)
def pack(request):
    coop = manager_cooperative(request)
    form = PackForm(request.POST or None, initial={"pack_size": (coop.pack_sizes or [10])[0]})
    if request.method == "POST" and form.is_valid():
        try:
            batch = pack_batch(cooperative=coop, user=request.user, **form.cleaned_data)
        except PackingError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("已包装批次 %(code)s：%(eggs)d 枚，保质期至 %(bb)s。") % {
                "code": batch.code, "eggs": batch.eggs, "bb": f"{batch.best_before:%Y-%m-%d}"})
            return redirect(f"{request.path}?coop={coop.pk}")
    batches = Batch.objects.filter(cooperative=coop).prefetch_related("contributions__delivery__farmer")[:5]
    return render(request, "coop/books/pack.html", {
        "coop": coop, "form": form, "stock": available_stock(coop), "batches": batches,
    }, status=400 if request.method == "POST" else 200)

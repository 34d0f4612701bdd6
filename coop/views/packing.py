"""The packing page (/books/pack/)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from coop.forms import PackForm
from coop.lib.validators import optional_id
from coop.models import Batch
from coop.services.packing import PackingError, available_stock, pack_batch
from coop.views.base import LOGIN, manager_cooperative


@login_required(login_url=LOGIN)
def pack(request):
    coop = manager_cooperative(request)
    stock = available_stock(coop)
    form = PackForm(request.POST or None, initial=pack_initial(coop, stock, request.GET.get("weight_class")))
    if request.method == "POST" and form.is_valid():
        try:
            batch = pack_batch(cooperative=coop, user=request.user, **form.cleaned_data)
        except PackingError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("已包装批次 %(code)s：%(eggs)d 枚，保质期至 %(bb)s。") % {
                "code": batch.code, "eggs": batch.eggs, "bb": f"{batch.best_before:%Y-%m-%d}"})
            # The next step where it is: the page after packing offers this batch's labels.
            return redirect(f"{request.path}?coop={coop.pk}&packed={batch.pk}")
    batches = Batch.objects.filter(cooperative=coop).prefetch_related("contributions__delivery__farmer")[:5]
    packed_id = optional_id(request.GET.get("packed"))
    packed = Batch.objects.filter(cooperative=coop, pk=packed_id).first() if packed_id else None
    return render(request, "coop/books/pack.html", {
        "coop": coop, "form": form, "stock": stock, "batches": batches, "packed": packed,
    }, status=400 if request.method == "POST" else 200)


def pack_initial(coop, stock, weight_class):
    """What the form starts with: the class the workbench's "包装 L" button named and as many full boxes of the
    cooperative's first pack size as that class's stock fills, so packing everything waiting is one tap."""
    size = (coop.pack_sizes or [10])[0]
    initial = {"pack_size": size}
    if weight_class in stock:
        initial["weight_class"] = weight_class
        if stock[weight_class] >= size:
            initial["boxes"] = stock[weight_class] // size
    return initial

"""Demo households can sign in: every household of the demo collective gets the PIN 123456.

Runs after the other seeders (settings.DEMO_SEEDERS). Safe to run twice: a household that already
has a PIN keeps it. One hash is shared by all rows so seeding stays fast (PBKDF2 is slow on purpose).
"""

from django.contrib.auth.hashers import make_password

from coop.farmer.pin import _ensure_user
from coop.models import Farmer, FarmerLogin, Notification
from coop.validators import format_mobile

DEMO_PIN = "123456"


def seed(stdout=None):
    farmers = list(Farmer.objects.filter(cooperative__producer_code="HBL", active=True, login__isnull=True)
                   .order_by("member_no"))
    if farmers:
        pin_hash = make_password(DEMO_PIN)
        for farmer in farmers:
            _ensure_user(farmer)
            FarmerLogin.objects.create(farmer=farmer, pin_hash=pin_hash)
    # Show a household that has something to look at: a penalty notice (sent by the charter's demo).
    fined = (Notification.objects.filter(event="penalty.notified", farmer__cooperative__producer_code="HBL")
             .order_by("farmer__member_no").values_list("farmer", flat=True).first())
    first = (Farmer.objects.filter(pk=fined).first() if fined else None) or Farmer.objects.filter(
        cooperative__producer_code="HBL", login__isnull=False).order_by("member_no").first()
    if stdout is not None and first is not None:
        stdout.write(f"Farmer pages: /farmer/login/ with any demo household's mobile and PIN {DEMO_PIN}, "
                     f"e.g. {format_mobile(first.phone)} ({first.member_no} {first.head_name}).")

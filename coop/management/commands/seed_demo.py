from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils.module_loading import import_string

from coop.demo import DEMO_PASSWORD, DEMO_USERS
from coop.models import Cooperative


class Command(BaseCommand):
    help = "Load the demo collective (贺波洛乡) and a second cooperative. Safe to run twice."

    def add_arguments(self, parser):
        parser.add_argument("--if-empty", action="store_true",
                            help="Do nothing when the database already holds a cooperative.")

    def handle(self, *args, if_empty=False, **options):
        if if_empty and Cooperative.objects.exists():
            self.stdout.write("The database already holds data; demo not loaded.")
        else:
            for path in settings.DEMO_SEEDERS:
                with transaction.atomic():
                    import_string(path)(stdout=self.stdout)
            self.stdout.write(self.style.SUCCESS("Demo collective loaded."))
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for username, _role, _code, label in DEMO_USERS:
            self.stdout.write(f"  {username:<10} {label}")

import logging
from contextlib import contextmanager

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils.module_loading import import_string

from coop.demo import DEMO_PASSWORD, DEMO_USERS
from coop.models import Cooperative

# Pages and people that the printed summary points at, beyond the staff logins of coop.demo.
MORE_LOGINS = [
    ("coordinator", "东西部协作协调员：紫南村—莫谷村 (/programmes/login/)"),
    ("coordinator2", "东西部协作协调员：宁波—喜德"),
]


@contextmanager
def quiet_logs(*names):
    """The demo sends hundreds of console notifications; keep them out of `make run`'s output."""
    loggers = [logging.getLogger(n) for n in names]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.WARNING)
    try:
        yield
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.setLevel(level)


class Command(BaseCommand):
    help = "Load the demo collective (贺波洛乡) and a second cooperative. Safe to run twice."

    def add_arguments(self, parser):
        parser.add_argument("--if-empty", action="store_true",
                            help="Do nothing when the database already holds a cooperative.")

    def handle(self, *args, if_empty=False, **options):
        if if_empty and Cooperative.objects.exists():
            self.stdout.write("The database already holds data; demo not loaded.")
        else:
            with quiet_logs("greenshell.notify", "celery", "celery.app.trace"):
                for path in settings.DEMO_SEEDERS:
                    with transaction.atomic():
                        import_string(path)(stdout=self.stdout)
            self.stdout.write(self.style.SUCCESS("Demo collective loaded."))
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for username, _role, _code, label in DEMO_USERS:
            self.stdout.write(f"  {username:<12} {label}")
        for username, label in MORE_LOGINS:
            self.stdout.write(f"  {username:<12} {label}")
        self.stdout.write("  农户 /farmer/login/: 任一演示农户的手机号 + PIN 123456（例如 EJ001）")
        self.stdout.write("  买家 /shop/: 手机 138 0000 0001…0005，验证码打印在本终端")

"""`make run`: the development server, and on a fresh clone the periodic work with it.

Django's runserver (with the static files, as ``django.contrib.staticfiles`` serves them in DEBUG) plus,
when there is no broker (no ``REDIS_URL``: tasks run eagerly), Celery beat embedded in a thread
(``coop.celery.start_embedded_beat``). With Redis the periodic work belongs to `make worker` and
`make beat`, as in production, and this command says so.
"""

from django.conf import settings
from django.contrib.staticfiles.management.commands.runserver import Command as RunserverCommand

from coop.celery import start_embedded_beat


class Command(RunserverCommand):
    help = "Run the development server; without Redis, also the periodic work (expiring orders, flushing scans…)."

    def inner_run(self, *args, **options):
        # With the autoreloader, Django calls inner_run in the reloaded child process only: one beat, not two
        # (and a new one after each reload, as the old child exits).
        if settings.CELERY_TASK_ALWAYS_EAGER:
            start_embedded_beat()
            self.stdout.write("定时任务在本进程里运行（未付款订单过期、团购截单、申诉期满执行、扫码写入等）。")
        else:
            self.stdout.write("已配置 Redis：定时任务请另开终端运行 `make worker` 和 `make beat`。")
        return super().inner_run(*args, **options)

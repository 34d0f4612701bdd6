"""``python manage.py reconcile``: every published figure recomputed from the raw rows (services/reconcile.py)."""

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from quality.services.reconcile import CHECKS, run_reconciliation


class Command(BaseCommand):
    help = "核对账目：从原始记录重算每个公布的数字，并记录结果。Recompute every published figure and record the result."

    def add_arguments(self, parser):
        parser.add_argument("--check", action="append", choices=[name for name, _c in CHECKS],
                            help="只做这一项核对（可重复）。Run only this check (repeatable).")

    def handle(self, *args, check=None, **options):
        run = run_reconciliation(checks=check)
        for m in run.mismatches:
            self.stdout.write(f"{m['kind']}\t{m['object']}\t{_('应为')} {m['expected']}\t{_('实为')} {m['found']}"
                              f"\t{m['link']}")
        summary = _("核对 %(checks)s：%(n)d 处不符") % {"checks": "、".join(run.checks), "n": run.mismatch_count}
        self.stdout.write(self.style.SUCCESS(summary) if not run.mismatch_count else self.style.ERROR(summary))
        # A non-zero exit lets cron or CI notice a mismatch without reading the output.
        if run.mismatch_count:
            raise SystemExit(1)

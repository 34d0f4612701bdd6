"""manage.py reset_2fa USERNAME --reason "手机丢了": the operator's way back in when the person who lost a phone is
the only manager (nobody left to reset it in the admin). Recorded in the audit trail like the admin action."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from coop.lib.errors import DomainError
from coop.services import twofactor


class Command(BaseCommand):
    help = "Remove a staff member's second factor (authenticator and recovery codes); they enrol again."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--reason", required=True, help="why (kept in the audit trail)")

    def handle(self, username, reason, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"no user named {username!r}")
        try:
            removed = twofactor.reset(user, reason=reason, actor_label="manage.py reset_2fa")
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"{username}: removed {removed} device(s); they set up a new phone at their next sign-in.")

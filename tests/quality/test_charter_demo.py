"""The demo shows the charter at work: versions, reports in every status, penalties in every state."""

from collections import Counter

from django.core.management import call_command

from quality.models import Appeal, BadEggReport, Charter, Penalty


def test_the_demo_shows_every_state_and_is_safe_to_run_twice(seeded_demo, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    call_command("seed_demo", stdout=open("/dev/null", "w"))
    assert Charter.objects.filter(cooperative__producer_code="HBL").count() == 2
    assert set(BadEggReport.objects.values_list("status", flat=True)) == {
        "received", "investigating", "confirmed", "dismissed"}
    states = Counter(Penalty.objects.values_list("status", flat=True))
    assert {"notified", "appealed", "applied", "waived", "reversed"} <= set(states)
    assert Appeal.objects.filter(decision=Appeal.WAIVED).count() == 1

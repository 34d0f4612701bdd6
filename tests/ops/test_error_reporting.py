"""Error reporting: the Sentry SDK starts only when SENTRY_DSN is set, and then without personal data."""

from tests.ops.test_security import production_python

PROBE = ("import sys, sentry_sdk\n"
         "client = sentry_sdk.get_client()\n"
         "print(client.is_active(), client.dsn, client.options['send_default_pii'],"
         " client.options['max_request_body_size'], client.options['environment'])\n")


def test_without_a_dsn_nothing_is_started():
    result = production_python("import sys\nprint('sentry_sdk' in sys.modules)\n" + PROBE)
    assert result.returncode == 0, result.stderr[-2000:]
    loaded, probe = result.stdout.splitlines()
    assert loaded == "False"  # settings never imported the SDK (the probe imports it afterwards)
    assert probe.startswith("False None")


def test_with_a_dsn_errors_are_reported_without_personal_data():
    # A DSN pointing at a closed local port: the SDK starts, nothing is ever delivered anywhere.
    dsn = "http://public@127.0.0.1:9/1"
    result = production_python(PROBE, SENTRY_DSN=dsn, SENTRY_ENVIRONMENT="staging")
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ["True", dsn, "False", "never", "staging"]


def test_a_dsn_that_is_not_a_url_stops_start_up():
    result = production_python("", SENTRY_DSN="not a dsn")
    assert result.returncode != 0 and "SENTRY_DSN" in result.stderr

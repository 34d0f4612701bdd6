"""`make audit`: a known vulnerability fails the build; an unreachable advisory service is never silent."""

import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "deploy" / "audit.py"
spec = importlib.util.spec_from_file_location("deploy_audit", SCRIPT)
audit = importlib.util.module_from_spec(spec)
spec.loader.exec_module(audit)

CLEAN = {"name": "django", "version": "5.2.19", "vulns": []}
VULNERABLE = {"name": "sqlparse", "version": "0.4.3", "vulns": [
    {"id": "GHSA-rrm6-wvj7-cwh2", "fix_versions": ["0.4.4"], "aliases": ["CVE-2023-30608"]}]}
UNREACHABLE = {"name": "celery", "skip_reason": "Dependency not found on PyPI and could not be audited: celery (5.7.0)"}


def test_a_clean_report_passes(capsys):
    assert audit.main([], report={"dependencies": [CLEAN]}) == 0
    assert "1 packages audited, 0 vulnerable, 0 not audited" in capsys.readouterr().out


@pytest.mark.parametrize("flags", [[], ["--allow-unavailable"]])
def test_a_known_vulnerability_fails_and_names_the_fix(capsys, flags):
    assert audit.main(flags, report={"dependencies": [CLEAN, VULNERABLE, UNREACHABLE]}) == 1
    assert "VULNERABLE sqlparse 0.4.3: GHSA-rrm6-wvj7-cwh2 (fixed in: 0.4.4)" in capsys.readouterr().out


def test_packages_that_could_not_be_audited_fail_unless_allowed_and_are_always_named(capsys):
    assert audit.main([], report={"dependencies": [CLEAN, UNREACHABLE]}) == 3
    assert "NOT AUDITED (1): celery" in capsys.readouterr().out
    assert audit.main(["--allow-unavailable"], report={"dependencies": [CLEAN, UNREACHABLE]}) == 0
    out = capsys.readouterr().out
    assert "NOT AUDITED (1): celery" in out and "WARNING: dependencies were NOT audited" in out

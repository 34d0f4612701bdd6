#!/usr/bin/env python3
"""Audit the installed dependencies for known vulnerabilities with pip-audit (`make audit`, CI).

Audits the environment this Python runs in (the project's venv: everything requirements*.txt
installed, transitive dependencies included) against PyPI's advisory data.

Exit codes: 0 clean; 1 a known vulnerability (each is printed with its fix version);
3 the advisory service could not be asked about some packages ("not audited"). ``--allow-unavailable``
turns 3 into a loud warning with exit 0: where the network blocks PyPI's per-release JSON API, CI
still runs, says plainly that nothing was audited, and fails on any vulnerability it *can* see.
"""

import argparse
import json
import subprocess
import sys


def run_pip_audit():
    cmd = [sys.executable, "-m", "pip_audit", "--format", "json", "--progress-spinner", "off", "--skip-editable"]
    done = subprocess.run(cmd, capture_output=True, text=True)
    try:
        return json.loads(done.stdout)
    except ValueError:
        sys.stderr.write(done.stderr[-3000:])
        raise SystemExit(f"pip-audit produced no report (exit {done.returncode})")


def summarise(report):
    """Split pip-audit's JSON report into (vulnerable, audited, skipped) lists."""
    vulnerable, audited, skipped = [], [], []
    for dep in report.get("dependencies", []):
        if dep.get("skip_reason"):
            skipped.append(dep)
        elif dep.get("vulns"):
            vulnerable.append(dep)
        else:
            audited.append(dep)
    return vulnerable, audited, skipped


def main(argv=None, report=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--allow-unavailable", action="store_true",
                        help="warn instead of failing when the advisory service cannot be reached")
    args = parser.parse_args(argv)
    vulnerable, audited, skipped = summarise(report if report is not None else run_pip_audit())

    for dep in vulnerable:
        for vuln in dep["vulns"]:
            fixes = ", ".join(vuln.get("fix_versions") or []) or "no fix released yet"
            print(f"VULNERABLE {dep['name']} {dep['version']}: {vuln['id']} (fixed in: {fixes})")
    print(f"pip-audit: {len(audited) + len(vulnerable)} packages audited, {len(vulnerable)} vulnerable, "
          f"{len(skipped)} not audited")
    if vulnerable:
        return 1
    if skipped:
        print(f"NOT AUDITED ({len(skipped)}): " + ", ".join(sorted(d["name"] for d in skipped)))
        print("  reason: " + skipped[0]["skip_reason"])
        print("  (the advisory service did not answer for these packages: PyPI's per-release JSON API "
              "must be reachable from this machine)")
        if args.allow_unavailable:
            print("WARNING: dependencies were NOT audited on this run (--allow-unavailable).")
            return 0
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())

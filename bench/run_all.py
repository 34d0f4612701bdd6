"""Run every benchmark in bench/ one after another (each prints its own numbers), then the table of issue 18
— scan page vs static file, API list vs /healthz, flash sale, month settlement — each row with this run's
figures beside the issue's baseline and goal, read from the benches' own output.

    .venv/bin/python bench/run_all.py               # every bench
    .venv/bin/python bench/run_all.py scan api      # only these (bench/scan.py, bench/api.py)
"""

import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

# The issue's table: what, the baseline it was measured at ("today"), the goal.
ISSUE_18 = {
    "scan": ("scan page vs static file", "1,754 vs 3,514 req/s = 50 %", "≥ 80 %, 0 SQL warm, 0 scans lost"),
    "api": ("API list (token) vs /healthz", "287 vs 2,485 req/s = 12 %", "≥ 35 %"),
    "flash_sale": ("flash sale (100 clients, 1,000 attempts, 100 boxes)",
                   "177.7 req/s, p95 1,070 ms, 0 oversell; locked = 113 % of unlocked",
                   "≥ 2× req/s, p95 < 500 ms, 0 oversell, locked ≥ 90 % of unlocked"),
    "settlement": ("month settlement vs hand SQL", "2.11 s vs 1.94 s = 1.09×", "≤ 1.2×"),
}


def _last(pattern, text, flags=0):
    found = re.findall(pattern, text, flags)
    return found[-1] if found else None


def scan_row(out):
    static = _last(r"static file \([\d,]+ B\)\s+(\d+) req/s", out)
    scan = _last(r"scan page /t/\S+\s+(\d+) req/s", out)
    ratio = _last(r"ratio scan/static: (\d+%)", out)
    sql = _last(r"SQL queries per scan: (\d+) warm through the fast path", out)
    lost = _last(r"lost (-?\d+)", out)
    if not (static and scan and ratio):
        return None
    return f"{int(scan):,} vs {int(static):,} req/s = {ratio}; {sql} SQL warm; {lost} scans lost"


def api_row(out):
    row = _last(r"TABLE \| API list \(token\) vs /healthz \| ([^|]+) \|", out)
    return row.strip() if row else None


def flash_sale_row(out):
    header = _last(r"^\s+((?:(?:un)?locked (?:before|after)\s*)+)$", out, re.M)
    if not header:
        return None
    cols = re.findall(r"(?:un)?locked (?:before|after)", header)

    def values(label):
        line = _last(rf"^{re.escape(label)}\s+(.*)$", out, re.M)
        return dict(zip(cols, line.split(), strict=False)) if line else {}

    rps, p95, sold = values("throughput (req/s)"), values("p95 latency (ms)"), values("boxes sold")
    side = "locked after" if "locked after" in rps else "locked before"
    when = side.split()[1]
    share = _last(rf"{when}: locked throughput = (\d+%) of unlocked", out)
    if side not in rps:
        return None
    return f"{rps[side]} req/s, p95 {p95.get(side)} ms, {sold.get(side)} boxes sold; locked = {share} of unlocked"


def settlement_row(out):
    sql = _last(r"hand-written SQL :\s+([\d.]+) s", out)
    service = _last(r"settle_period\(\)  :\s+([\d.]+) s", out)
    households = _last(r"generated ([\d,]+) households", out)
    if not (sql and service):
        return None
    return f"{service} s vs hand SQL {sql} s = {float(service) / float(sql):.2f}× ({households} households)"


ROWS = {"scan": scan_row, "api": api_row, "flash_sale": flash_sale_row, "settlement": settlement_row}


def run(script):
    """Run one bench, showing its output as it comes and keeping it for the table."""
    print(f"=== {script.name}", flush=True)
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, bufsize=1)
    lines = []
    for line in proc.stdout:
        sys.stdout.write(line)
        lines.append(line)
    return proc.wait(), "".join(lines)


if __name__ == "__main__":
    wanted = set(sys.argv[1:])
    scripts = sorted(p for p in HERE.glob("*.py") if p.name not in {"run_all.py", "common.py", "__init__.py"}
                     and (not wanted or p.stem in wanted))
    failed, outputs = [], {}
    for script in scripts:
        code, outputs[script.stem] = run(script)
        if code != 0:
            failed.append(script.name)
    print("\n=== issue 18: this run beside the issue's baseline")
    print("| what | baseline (issue 18) | this run | goal |\n|---|---|---|---|")
    for name, (what, baseline, goal) in ISSUE_18.items():
        if name not in outputs:
            figure = "not run"
        else:
            figure = ROWS[name](outputs[name]) or f"no figure in bench/{name}.py's output (skipped or failed?)"
        print(f"| {what} | {baseline} | {figure} | {goal} |")
    if failed:
        print("failed:", ", ".join(failed))
        sys.exit(1)

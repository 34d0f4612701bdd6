"""Run every benchmark in bench/ one after another (each prints its own numbers)."""

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

if __name__ == "__main__":
    scripts = sorted(p for p in HERE.glob("*.py") if p.name not in {"run_all.py", "common.py", "__init__.py"})
    failed = []
    for script in scripts:
        print(f"=== {script.name}", flush=True)
        if subprocess.call([sys.executable, str(script)]) != 0:
            failed.append(script.name)
    if failed:
        print("failed:", ", ".join(failed))
        sys.exit(1)

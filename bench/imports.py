"""Household import speed: a 3,000-row Excel list (the most one import takes) read, previewed and imported,
then the same list re-imported unchanged (the round trip a cadre makes after editing a few rows).

Each step beside its baseline: openpyxl merely iterating the sheet's values (what any reader costs), and the
preview (``plan_import``: two queries, the rest in memory) beside the write (``apply_import``: each new household
through ``create_farmer`` with its pinyin and audit line). Target: a full import well inside a request (< 30 s).

    .venv/bin/python bench/imports.py
Runs on a throw-away SQLite database; nothing else is needed.
"""

import io
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from common import sqlite_django, timed  # noqa: E402

TMP = sqlite_django("imports", LOG_LEVEL="WARNING")
from django.core.management import call_command  # noqa: E402

ROWS = 3000


def the_list():
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["社员编号", "户主姓名", "村", "手机号", "帮扶状态", "母鸡数", "收款方式", "喷码", "在册", "入社日期"])
    for i in range(1, ROWS + 1):
        ws.append([f"EJ{i:04d}", f"阿吉木日{i}", "尔吉村", f"139{i:08d}", "非贫困户", 30, "微信转账", "", "是",
                   "2024-03-01"])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def main():
    from openpyxl import load_workbook

    from coop.services import imports
    from tests.factories import make_cooperative, make_staff, make_village

    call_command("migrate", verbosity=0)
    coop = make_cooperative(producer_code="HBL")
    make_village(coop, name="尔吉村")
    manager = make_staff(coop, "manager", "bench-manager")
    data = the_list()

    def iterate():
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        return sum(1 for _row in wb.active.iter_rows(values_only=True))

    base = timed(iterate)[0]
    read, _fast, (rows, _ignored) = timed(lambda: imports.read_table("a.xlsx", data))
    plan = timed(lambda: imports.plan_import(coop, rows))[0]
    t = time.perf_counter()
    done = imports.apply_import(coop, rows, user=manager)
    write = time.perf_counter() - t
    again = timed(lambda: imports.apply_import(coop, rows, user=manager), runs=1)
    print(f"{ROWS} rows, {len(data) / 1e3:.0f} kB xlsx: baseline openpyxl iterate {base * 1000:.0f} ms | "
          f"read_table {read * 1000:.0f} ms ({read / base:.1f}×) | preview {plan * 1000:.0f} ms | "
          f"import {done.count(imports.ADD)} new in {write:.2f} s ({write / ROWS * 1000:.2f} ms each) | "
          f"re-import unchanged {again[0]:.2f} s, {again[2].count(imports.SAME)} unchanged")


if __name__ == "__main__":
    main()

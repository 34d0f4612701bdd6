"""The demo collective: 贺波洛乡 in 凉山, with its villages and households, and a second, smaller
cooperative to check that managers only ever see their own.

Deterministic (fixed random seed) and safe to run twice: rows are found by natural keys first.
Later parts of the product extend the demo through their own ``<app>.demo.seed``.
"""

import datetime
import random

from django.contrib.auth import get_user_model

from coop.models import Cooperative, Farmer, Staff, Village

DEMO_PASSWORD = "greenshell"

SURNAMES = ["吉克", "阿苏", "沙马", "俄底", "马海", "阿尔", "吉伍", "曲比", "勒格", "海来",
            "吉则", "阿约", "木乃", "瓦扎", "尔古", "果基", "阿西", "加拉", "克其", "的日"]
GIVEN = ["拉哈", "阿牛", "木呷", "日古", "阿依", "伍沙", "尔坡", "石布", "子哈", "补都",
         "阿果", "尔呷", "金古", "拉则", "阿呷", "友布", "此尔", "阿支"]

DEMO_USERS = [
    # username, role, cooperative producer code, label printed by `make run`
    ("manager", Staff.MANAGER, "HBL", "贺波洛乡合作社管理员"),
    ("inspector", Staff.INSPECTOR, "HBL", "贺波洛乡验收员"),
    ("committee", Staff.COMMITTEE, "HBL", "贺波洛乡村民议事会"),
    ("manager2", Staff.MANAGER, "ZHX", "第二个合作社（检查数据隔离）"),
]


def _user(username, **extra):
    User = get_user_model()
    user, created = User.objects.get_or_create(username=username, defaults=extra)
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save()
    return user


def _household_name(rng):
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def _farmers(coop, villages, count, rng, prefix):
    statuses = [Farmer.POVERTY_MONITORED] * 5 + [Farmer.POVERTY_REGISTERED] * 2 + [Farmer.POVERTY_NONE] * 3
    for n in range(1, count + 1):
        member_no = f"{prefix}{n:03d}"
        village = villages[(n - 1) % len(villages)]
        Farmer.objects.get_or_create(
            cooperative=coop, member_no=member_no,
            defaults=dict(
                village=village,
                head_name=_household_name(rng),
                phone=f"1{rng.choice('3578')}{rng.randrange(10**9):09d}",
                poverty_status=rng.choice(statuses),
                hens=rng.randrange(12, 45),
                payout_method=rng.choice([Farmer.PAYOUT_WECHAT, Farmer.PAYOUT_WECHAT, Farmer.PAYOUT_BANK]),
                payout_account=f"62{rng.randrange(10**14):014d}",
                stamp_code=f"{prefix}{n:02d}" if n % 3 else "",
                joined_on=datetime.date(2025, 3, 1) + datetime.timedelta(days=n),
            ),
        )


def seed(stdout=None):
    rng = random.Random(2026)
    hbl, _ = Cooperative.objects.get_or_create(
        producer_code="HBL",
        defaults=dict(
            name="贺波洛乡高山绿壳蛋专业合作社", short_name="贺波洛绿壳蛋",
            township="贺波洛乡", county="喜德县", prefecture="凉山彝族自治州", province="四川省",
            phone="0834-1234567", address="四川省凉山彝族自治州喜德县贺波洛乡尔吉村",
        ),
    )
    villages = [
        Village.objects.get_or_create(cooperative=hbl, name=name,
                                      defaults={"township": "贺波洛乡", "altitude_m": alt})[0]
        for name, alt in [("桌古村", 2480), ("尔吉村", 2350), ("莫谷村", 2210)]
    ]
    _farmers(hbl, villages, 30, rng, "EJ")

    zhx, _ = Cooperative.objects.get_or_create(
        producer_code="ZHX",
        defaults=dict(
            name="竹核乡土鸡蛋合作社", short_name="竹核土鸡蛋",
            township="竹核乡", county="昭觉县", prefecture="凉山彝族自治州", province="四川省",
            phone="0834-7654321",
        ),
    )
    zhx_village, _ = Village.objects.get_or_create(cooperative=zhx, name="木渣洛村",
                                                   defaults={"township": "竹核乡", "altitude_m": 2100})
    _farmers(zhx, [zhx_village], 6, rng, "ZH")

    coops = {"HBL": hbl, "ZHX": zhx}
    for username, role, code, _label in DEMO_USERS:
        user = _user(username, is_staff=True, first_name=_label[:30])
        Staff.objects.get_or_create(user=user, cooperative=coops[code], role=role)
    from coop import demo_books  # deliveries, batches, a settled month, the fund

    demo_books.seed(hbl, zhx, stdout)
    return {"cooperatives": [hbl, zhx]}

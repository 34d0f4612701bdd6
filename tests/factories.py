"""Small factories for tests: plain functions with sensible defaults, overridable by keyword."""

import itertools

from django.contrib.auth import get_user_model

from coop.models import Cooperative, Farmer, Staff, Village

_seq = itertools.count(1)


def make_user(username=None, password="pw-greenshell-1", **extra):
    User = get_user_model()
    username = username or f"user{next(_seq)}"
    user = User.objects.create_user(username=username, password=password, **extra)
    user.raw_password = password
    return user


def make_cooperative(**kw):
    n = next(_seq)
    defaults = dict(name=f"测试合作社{n}", township="贺波洛乡", county="喜德县", prefecture="凉山彝族自治州",
                    producer_code=f"T{n:03d}")
    defaults.update(kw)
    return Cooperative.objects.create(**defaults)


def make_village(cooperative, **kw):
    defaults = dict(name=f"村{next(_seq)}", altitude_m=2300)
    defaults.update(kw)
    return Village.objects.create(cooperative=cooperative, **defaults)


def make_farmer(cooperative, village=None, **kw):
    n = next(_seq)
    village = village or Village.objects.filter(cooperative=cooperative).first() or make_village(cooperative)
    defaults = dict(member_no=f"M{n:04d}", head_name=f"吉克{n}", phone=f"139{n:08d}", hens=30)
    defaults.update(kw)
    return Farmer.objects.create(cooperative=cooperative, village=village, **defaults)


def make_staff(cooperative, role=Staff.MANAGER, username=None):
    user = make_user(username, is_staff=True)
    Staff.objects.create(user=user, cooperative=cooperative, role=role)
    return user

import pytest


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    # PINs are hashed with PBKDF2 in production; tests sign in dozens of times on two shared cores.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

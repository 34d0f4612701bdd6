"""Content-security-policy helpers: hashes of the fixed inline <style> blocks of third-party pages."""

import base64
import hashlib
import importlib.util
import re
from pathlib import Path

# Third-party pages we serve that carry one fixed <style> block (no script). Allowing exactly those
# blocks by hash keeps `style-src 'self'` strict everywhere else. Each is (package, template path).
THIRD_PARTY_INLINE_STYLES = [
    ("django", "contrib/admin/templates/admin/change_list.html"),
    ("drf_spectacular", "templates/drf_spectacular/swagger_ui.html"),
]


def inline_style_hashes():
    """CSP source expressions ('sha256-…') for the fixed <style> blocks of THIRD_PARTY_INLINE_STYLES.

    Read from the installed templates at start-up, so a library upgrade that changes a block keeps
    working (and the browser test in tests/ops would catch a block that became dynamic).
    """
    hashes = []
    for package, relative in THIRD_PARTY_INLINE_STYLES:
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            continue
        template = Path(list(spec.submodule_search_locations)[0]) / relative
        if not template.exists():
            continue
        for body in re.findall(r"<style>(.*?)</style>", template.read_text(encoding="utf-8"), flags=re.S):
            if "{%" in body or "{{" in body:
                continue  # rendered content varies; cannot be hashed ahead of time
            digest = base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode()
            hashes.append(f"'sha256-{digest}'")
    return hashes

"""Fill empty English translations in locale/en/LC_MESSAGES/django.po from a JSON dictionary.

Usage: python locale/tools/fill_po.py locale/tools/en.json
The JSON maps the Chinese msgid to its English text. Entries already translated are kept.
Run `manage.py makemessages -l en` first and `manage.py compilemessages` after.
"""

import json
import re
import sys
from pathlib import Path

PO = Path(__file__).resolve().parents[1] / "en" / "LC_MESSAGES" / "django.po"


def unquote(block):
    return "".join(json.loads(part) for part in re.findall(r'"(?:[^"\\]|\\.)*"', block))


def main(dictionary_path):
    table = json.loads(Path(dictionary_path).read_text(encoding="utf-8"))
    text = PO.read_text(encoding="utf-8")
    entries = text.split("\n\n")
    filled = missing = 0
    for i, entry in enumerate(entries):
        m = re.search(r'^msgid ((?:".*"\n?)+)^msgstr ""\s*$', entry, flags=re.M)
        if not m or "msgid_plural" in entry:
            continue
        msgid = unquote(m.group(1))
        if not msgid:
            continue
        if msgid in table:
            entries[i] = entry[: m.start()] + "msgid " + m.group(1) + "msgstr " + json.dumps(
                table[msgid], ensure_ascii=False) + entry[m.end():]
            entries[i] = entries[i].replace("#, fuzzy\n", "")
            filled += 1
        else:
            missing += 1
    PO.write_text("\n\n".join(entries), encoding="utf-8")
    print(f"filled {filled}, still untranslated {missing}")


if __name__ == "__main__":
    main(sys.argv[1])

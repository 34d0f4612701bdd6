"""Fill empty English translations in locale/en/LC_MESSAGES/django.po from a JSON dictionary.

Usage: python locale/tools/fill_po.py [dictionary.json ...]   (default: every locale/tools/en*.json)
Each JSON maps a Chinese msgid to its English text; each area of the product keeps its own file
(en.json, en_books.json, en_shop.json, …) so that people working in parallel never edit the same one.
`make messages` runs makemessages, this script and compilemessages in order.
"""

import json
import re
import sys
from pathlib import Path

PO = Path(__file__).resolve().parents[1] / "en" / "LC_MESSAGES" / "django.po"


def unquote(block):
    return "".join(json.loads(part) for part in re.findall(r'"(?:[^"\\]|\\.)*"', block))


def main(paths):
    paths = paths or sorted(Path(__file__).resolve().parent.glob("en*.json"))
    table = {}
    for path in paths:
        table.update(json.loads(Path(path).read_text(encoding="utf-8")))
    text = PO.read_text(encoding="utf-8")
    entries = text.split("\n\n")
    filled = missing = 0
    for i, entry in enumerate(entries):
        m = re.search(r'^msgid ((?:".*"\n?)+)^msgstr ((?:".*"\n?)+)\s*\Z', entry, flags=re.M)
        if not m or "msgid_plural" in entry:
            continue
        msgid = unquote(m.group(1))
        if not msgid:
            continue
        fuzzy = re.search(r"^#,.*\bfuzzy\b", entry, flags=re.M) is not None
        if msgid in table:
            # The dictionaries are the source of truth: they also correct a "fuzzy" guess that
            # makemessages made from a similar older string.
            entries[i] = entry[: m.start()] + "msgid " + m.group(1) + "msgstr " + json.dumps(
                table[msgid], ensure_ascii=False) + "\n"
            entries[i] = re.sub(r"^#, fuzzy\n", "", entries[i], flags=re.M)
            entries[i] = re.sub(r"^(#,.*), fuzzy", r"\1", entries[i], flags=re.M)
            entries[i] = re.sub(r"^#\| .*\n", "", entries[i], flags=re.M)
            filled += 1
        elif fuzzy or not unquote(m.group(2)):
            missing += 1
    PO.write_text("\n\n".join(entries), encoding="utf-8")
    print(f"filled {filled}, still untranslated {missing}")


if __name__ == "__main__":
    main(sys.argv[1:])

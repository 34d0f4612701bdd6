"""Fill empty English translations in locale/en/LC_MESSAGES/django.po from a JSON dictionary.

Usage: python locale/tools/fill_po.py [dictionary.json ...]   (default: every locale/tools/en*.json)
Each JSON maps a Chinese msgid to its English text; each area of the product keeps its own file
(en.json, en_books.json, en_shop.json, …) so that people working in parallel never edit the same one.
A count ({% blocktranslate count %} / ngettext) maps its msgid to a list: ["1 box", "%(boxes)s boxes"]
(English's two forms), which fills msgstr[0] and msgstr[1].
`make messages` runs makemessages, this script and compilemessages in order.
"""

import json
import re
import sys
from pathlib import Path

PO = Path(__file__).resolve().parents[1] / "en" / "LC_MESSAGES" / "django.po"


def unquote(block):
    return "".join(json.loads(part) for part in re.findall(r'"(?:[^"\\]|\\.)*"', block))


def _fill_plural(entry, table):
    """A plural entry with its two English forms from the dictionary's list, or ``None`` if it has none."""
    m = re.search(r'^msgid ((?:".*"\n?)+)^msgid_plural ((?:".*"\n?)+)((?:^msgstr\[\d\] (?:".*"\n?)+)+)\s*\Z',
                  entry, flags=re.M)
    forms = table.get(unquote(m.group(1))) if m else None
    if not isinstance(forms, list) or len(forms) != 2:
        return None
    head = entry[: m.start()]
    head = re.sub(r"^#, fuzzy\n", "", head, flags=re.M)
    head = re.sub(r"^#, fuzzy, ", "#, ", head, flags=re.M)
    head = re.sub(r"^(#,.*), fuzzy", r"\1", head, flags=re.M)
    head = re.sub(r"^#\| .*\n", "", head, flags=re.M)
    return (head + "msgid " + m.group(1) + "msgid_plural " + m.group(2)
            + "".join(f"msgstr[{k}] {json.dumps(text, ensure_ascii=False)}\n" for k, text in enumerate(forms)))


def main(paths):
    paths = paths or sorted(Path(__file__).resolve().parent.glob("en*.json"))
    table = {}
    for path in paths:
        table.update(json.loads(Path(path).read_text(encoding="utf-8")))
    text = PO.read_text(encoding="utf-8")
    entries = text.split("\n\n")
    filled = missing = 0
    for i, entry in enumerate(entries):
        if "msgid_plural" in entry:
            done = _fill_plural(entry, table)
            if done is None:
                missing += 'msgstr[0] ""' in entry
            else:
                entries[i], filled = done, filled + 1
            continue
        m = re.search(r'^msgid ((?:".*"\n?)+)^msgstr ((?:".*"\n?)+)\s*\Z', entry, flags=re.M)
        if not m:
            continue
        msgid = unquote(m.group(1))
        if not msgid:
            continue
        fuzzy = re.search(r"^#,.*\bfuzzy\b", entry, flags=re.M) is not None
        if isinstance(table.get(msgid), str):
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

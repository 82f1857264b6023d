"""Omni speaks Turkish by default and English on request, and its Turkish catalogue is complete.

The catalogue is read with a few lines of Python, so these tests need no GNU gettext.
"""

from __future__ import annotations

import ast
import gettext
import re
from pathlib import Path

import pytest
from django.conf import settings

from tests import factories as f

LOCALE = Path(settings.BASE_DIR) / "locale" / "tr" / "LC_MESSAGES"
PO = LOCALE / "django.po"
MO = LOCALE / "django.mo"

# %(name)s, %(n)d, %s ... and {value}: what a translation must keep exactly.
PERCENT = re.compile(r"%(?:\([^)]+\))?[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa%]")
BRACE = re.compile(r"\{[^{}]*\}")


def read_po(path: Path) -> list[dict]:
    """The entries of a .po file: msgctxt, msgid, msgid_plural, msgstr (by index), flags."""
    entries: list[dict] = []
    entry: dict | None = None
    key = None
    for raw in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        line = raw.strip()
        if not line:
            if entry is not None and "msgid" in entry:
                entries.append(entry)
            entry, key = None, None
            continue
        if entry is None:
            entry = {"flags": set(), "msgstr": {}}
        if line.startswith("#~"):  # an obsolete entry is not in the catalogue
            continue
        if line.startswith("#,"):
            entry["flags"] |= {flag.strip() for flag in line[2:].split(",")}
            continue
        if line.startswith("#"):
            continue
        match = re.match(r"(msgctxt|msgid_plural|msgid|msgstr)(?:\[(\d+)\])?\s+(\".*\")$", line)
        if match:
            word, index, text = match.groups()
            key = (word, int(index or 0))
            value = ast.literal_eval(text)
            if word == "msgstr":
                entry["msgstr"][key[1]] = value
            else:
                entry[word] = value
        elif line.startswith('"') and key is not None:
            value = ast.literal_eval(line)
            if key[0] == "msgstr":
                entry["msgstr"][key[1]] += value
            else:
                entry[key[0]] += value
    return entries


def header(entries: list[dict]) -> dict[str, str]:
    (head,) = [e for e in entries if e["msgid"] == "" and "msgctxt" not in e]
    return dict(line.split(": ", 1) for line in head["msgstr"][0].splitlines() if ": " in line)


def messages(entries: list[dict]) -> list[dict]:
    return [e for e in entries if e["msgid"] != "" or "msgctxt" in e]


@pytest.fixture(scope="module")
def catalogue() -> list[dict]:
    return read_po(PO)


# --- the requests ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_unknown_channel_is_reported_in_turkish_by_default_and_on_request(api):
    f.ChannelFactory(code="web")

    default = api.get("/api/v1/products/", {"channel": "nope"})
    turkish = api.get("/api/v1/products/", {"channel": "nope"}, HTTP_ACCEPT_LANGUAGE="tr")

    for response in (default, turkish):
        assert response.status_code == 400
        assert response["Content-Language"] == "tr"
        assert response.json()["fields"] == {"channel": ["Satış kanalı bulunamadı: nope."]}


@pytest.mark.django_db
def test_an_unknown_channel_is_reported_in_english_on_request(api):
    f.ChannelFactory(code="web")

    response = api.get("/api/v1/products/", {"channel": "nope"}, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 400
    assert response["Content-Language"] == "en"
    assert response.json()["fields"] == {"channel": ["Unknown sales channel: nope."]}


@pytest.mark.django_db
def test_the_sign_in_page_is_in_turkish_by_default(client):
    page = client.get("/accounts/sign-in/").content.decode()

    assert '<html lang="tr">' in page
    assert "<h1>Giriş yap</h1>" in page
    assert "E-posta adresi" in page
    assert "Şifre" in page
    assert "Üye ol" in page
    assert "Sign in" not in page


@pytest.mark.django_db
def test_the_sign_in_page_is_in_english_on_request(client):
    page = client.get("/accounts/sign-in/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert '<html lang="en">' in page
    assert "<h1>Sign in</h1>" in page
    assert "E-mail address" in page
    assert "Giriş yap" not in page


# --- the catalogue --------------------------------------------------------------------------


def test_the_catalogue_is_turkish_with_two_plural_forms(catalogue):
    head = header(catalogue)
    assert head["Language"] == "tr"
    assert head["Content-Type"] == "text/plain; charset=UTF-8"
    assert head["Plural-Forms"] == "nplurals=2; plural=(n != 1);"


def test_every_message_is_translated_and_none_is_fuzzy(catalogue):
    entries = messages(catalogue)
    assert entries, "the catalogue is empty"
    fuzzy = [e["msgid"] for e in catalogue if "fuzzy" in e["flags"]]
    untranslated = [
        e["msgid"]
        for e in entries
        if len(e["msgstr"]) != (2 if "msgid_plural" in e else 1)
        or not all(s.strip() for s in e["msgstr"].values())
    ]
    assert fuzzy == []
    assert untranslated == []


def test_every_translation_keeps_the_placeholders_of_its_message(catalogue):
    wrong = []
    for entry in messages(catalogue):
        pattern = BRACE if "python-brace-format" in entry["flags"] else PERCENT
        for index, text in entry["msgstr"].items():
            source = entry["msgid_plural"] if index > 0 else entry["msgid"]
            if sorted(pattern.findall(text)) != sorted(pattern.findall(source)):
                wrong.append((entry["msgid"], text))
    assert wrong == []


def test_the_compiled_catalogue_matches_the_po_file(catalogue):
    """The .mo is committed, so a machine without gettext gets the translations: it must not
    be older than the .po (run `manage.py compilemessages -l tr` after editing it)."""
    with MO.open("rb") as compiled:
        mo = gettext.GNUTranslations(compiled)
    stale = []
    for entry in messages(catalogue):
        prefix = f"{entry['msgctxt']}\x04" if "msgctxt" in entry else ""
        if "msgid_plural" in entry:
            got = [mo.ngettext(prefix + entry["msgid"], entry["msgid_plural"], n) for n in (1, 2)]
            want = [entry["msgstr"][0], entry["msgstr"][1]]
        else:
            got, want = mo.gettext(prefix + entry["msgid"]), entry["msgstr"][0]
        if got != want:
            stale.append(entry["msgid"])
    assert stale == []
    assert mo.info()["plural-forms"] == header(catalogue)["Plural-Forms"]

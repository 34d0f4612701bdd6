"""Issue 16 item 5: a household appeals without writing — it records a voice note on its phone. The note is a
sound file phones make (checked by its bytes), 2 MB at most, kept privately and played only to the managers
and committee of its cooperative and to the household itself; a bad file refuses the appeal in Chinese."""

from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from coop.lib.audio import MAX_VOICE_BYTES, sniff_voice
from coop.models import AuditEvent
from quality.models import Appeal, CharterError, Penalty
from quality.services.appeals import appeal_grounds, file_appeal
from tests.factories import make_farmer, make_user, voice_upload, wav_bytes
from tests.quality.test_farmer_penalties import a_fine, fining_charter, household  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db

# The first bytes of what phones record, each padded to a size that holds a voice.
WEBM = b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\xf2\x81\x04\x42\xf3\x81\x08\x42\x82\x84webm"
OGG = b"OggS\x00\x02" + b"\x00" * 20 + b"OpusHead"
M4A = b"\x00\x00\x00\x1cftypM4A \x00\x00\x00\x00M4A mp42isom"
AMR = b"#!AMR\n"
ADTS = b"\xff\xf1\x50\x80"


def _pad(head, size=4096):
    return head + b"\x00" * (size - len(head))


@pytest.mark.parametrize("head, ending", [(WEBM, "webm"), (OGG, "ogg"), (M4A, "m4a"), (AMR, "amr"),
                                          (ADTS, "aac"), (wav_bytes()[:64], "wav")])
def test_it_knows_each_kind_of_phone_recording_by_its_bytes(head, ending):
    assert sniff_voice(_pad(head)[:64]) == ending


@pytest.mark.parametrize("head", [b"\xff\xd8\xff\xe0JFIF", b"%PDF-1.7", b"<html><script>", b"PK\x03\x04",
                                  b"\x1a\x45\xdf\xa3\x9f\x42\x82\x88matroska", b"ID3\x04"])
def test_anything_else_is_not_a_voice_note(head):
    assert sniff_voice(_pad(head)[:64]) is None


def test_a_household_files_its_appeal_with_a_voice_note_kept_privately(personas, household):  # noqa: F811
    fining_charter(personas.coop_a)
    penalty = a_fine(personas.farmer_a, personas.manager_a)
    page = household.get(f"/farmer/penalties/{penalty.pk}/").content.decode()
    # The recorder is there for the script to show; the form sends files.
    assert 'id="voice" hidden' in page and 'enctype="multipart/form-data"' in page and "voice-note.js" in page
    sound = wav_bytes(2)
    response = household.post(f"/farmer/penalties/{penalty.pk}/appeal/", {
        "voice_note": SimpleUploadedFile("录音.wav", sound, content_type="audio/wav"), "voice_seconds": "2"})
    assert response.status_code == 302
    appeal = Appeal.objects.get(penalty=penalty)
    assert appeal.voice_seconds == 2 and appeal.voice_note.name.endswith(".wav")
    assert "我录了一段话，请听录音" in appeal.grounds
    media = Path(django_settings.MEDIA_ROOT)
    assert (media / "private" / appeal.voice_note.name).read_bytes() == sound
    assert not (media / appeal.voice_note.name).exists()  # never under the public /media/
    # Who did what: the household filed it, with its voice note.
    event = AuditEvent.objects.get(action="appeal.filed", object_id=str(appeal.pk))
    assert event.actor == personas.farmer_a.user
    assert event.data["voice_note"] == appeal.voice_note.name and event.data["voice_bytes"] == len(sound)
    # The household hears its own recording on its penalty page, through the checked address.
    page = household.get(f"/farmer/penalties/{penalty.pk}/").content.decode()
    assert f'src="/files/appeal-voice/{appeal.pk}/"' in page and "您的录音" in page and "/media/" not in page
    played = household.get(f"/files/appeal-voice/{appeal.pk}/")
    assert played.status_code == 200 and played["Content-Type"] == "audio/wav"
    assert b"".join(played.streaming_content) == sound


def test_the_length_is_what_the_phone_counted_within_a_minute(personas):
    fining_charter(personas.coop_a)
    user = personas.farmer_a.user
    for sent, kept in (("600", 60), ("0", 1), ("abc", None), ("", None)):
        penalty = a_fine(personas.farmer_a, personas.manager_a)
        appeal = file_appeal(penalty, user=user, grounds="听录音", voice_note=voice_upload(), voice_seconds=sent)
        assert appeal.voice_seconds == kept, sent


@pytest.mark.parametrize("upload, words", [
    (SimpleUploadedFile("voice.webm", _pad(b"%PDF-1.7"), content_type="audio/webm"), "这不是手机录的声音文件"),
    (SimpleUploadedFile("voice.jpg", _pad(b"\xff\xd8\xff\xe0JFIF"), content_type="audio/ogg"), "不是手机录的"),
    (SimpleUploadedFile("voice.webm", b"", content_type="audio/webm"), "录音是空的或太短"),
    (SimpleUploadedFile("voice.wav", _pad(wav_bytes()[:64], MAX_VOICE_BYTES + 1), content_type="audio/wav"),
     "录音太大（最多 2 MB"),
])
def test_a_bad_file_is_refused_in_chinese_and_nothing_is_filed(personas, household, upload, words):  # noqa: F811
    fining_charter(personas.coop_a)
    penalty = a_fine(personas.farmer_a, personas.manager_a)
    private = Path(django_settings.MEDIA_ROOT) / "private" / "appeals"
    body = household.post(f"/farmer/penalties/{penalty.pk}/appeal/", {"reason": "fresh", "voice_note": upload},
                          follow=True).content.decode()
    assert words in body
    assert not Appeal.objects.filter(penalty=penalty).exists()
    assert Penalty.objects.get(pk=penalty.pk).status == Penalty.NOTIFIED
    assert not private.exists() or not any(private.rglob("*.*"))  # no file kept either
    assert not AuditEvent.objects.filter(action="appeal.filed").exists()


def test_a_voice_note_alone_is_enough_to_appeal_and_nothing_at_all_is_not():
    assert appeal_grounds(voice_note=True) == "我录了一段话，请听录音。"
    with pytest.raises(CharterError, match="录一段话"):
        appeal_grounds()


def test_only_the_cooperatives_managers_and_committee_and_the_household_play_it(personas):
    fining_charter(personas.coop_a)
    penalty = a_fine(personas.farmer_a, personas.manager_a)
    appeal = file_appeal(penalty, user=personas.farmer_a.user, grounds="听录音", voice_note=voice_upload(),
                         voice_seconds="1")
    url = f"/files/appeal-voice/{appeal.pk}/"
    neighbour = make_farmer(personas.coop_a, personas.village_a, head_name="阿苏木呷", user=make_user("neighbour"))
    p = personas
    who = {"manager_a": (p.manager_a, 200), "committee_a": (p.committee_a, 200), "household": (p.farmer_a.user, 200),
           "inspector_a": (p.inspector_a, 404), "manager_b": (p.manager_b, 404), "neighbour": (neighbour.user, 404),
           "farmer_b": (p.farmer_b.user, 404), "outsider": (p.outsider, 404), "anonymous": (None, 404)}
    for name, (user, status) in who.items():
        c = Client(raise_request_exception=False)
        if user is not None:
            c.force_login(user)
        response = c.get(url)
        assert response.status_code == status, name
        if status == 200:
            assert response["Cache-Control"].startswith("private") and response["X-Content-Type-Options"] == "nosniff"
    # Production: nginx sends the file from its internal location, with the type we found.
    c = Client()
    c.force_login(p.committee_a)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(django_settings, "PRIVATE_MEDIA_X_ACCEL", True)
        response = c.get(url)
    assert response["X-Accel-Redirect"].endswith(appeal.voice_note.name) and response["Content-Type"] == "audio/wav"


def test_the_hearing_page_plays_the_voice_note(personas):
    fining_charter(personas.coop_a)
    penalty = a_fine(personas.farmer_a, personas.manager_a)
    appeal = file_appeal(penalty, user=personas.farmer_a.user, grounds="听录音", voice_note=voice_upload(),
                         voice_seconds="12", wants_call=True)
    c = Client()
    c.force_login(personas.committee_a)
    page = c.get(f"/admin/quality/appeal/{appeal.pk}/change/").content.decode()
    assert f'<audio controls preload="none" src="/files/appeal-voice/{appeal.pk}/"' in page
    assert "农户的录音" in page and "12 秒" in page and "农户请议事会打电话" in page


def test_the_api_gives_the_checked_address_not_the_file(personas):
    from rest_framework.test import APIClient

    fining_charter(personas.coop_a)
    penalty = a_fine(personas.farmer_a, personas.manager_a)
    appeal = file_appeal(penalty, user=personas.farmer_a.user, grounds="听录音", voice_note=voice_upload(),
                         voice_seconds="3")
    api = APIClient()
    api.force_authenticate(personas.committee_a)
    row = api.get(f"/api/appeals/{appeal.pk}/").json()
    assert row["voice_url"] == f"/files/appeal-voice/{appeal.pk}/" and row["voice_seconds"] == 3
    assert "private" not in str(row) and "media" not in str(row)

"""Checking a voice note a household records on its phone (an appeal's 录音): a sound file of a kind
phones make, small, recognised by its first bytes — never by its name or the type the browser claims,
both of which the sender chooses.

What phones produce: Chrome and Firefox's MediaRecorder (WebM/Opus, Ogg/Opus), Safari's (MP4/AAC), the
recorder apps of Android phones (AMR, M4A, AAC, WAV). Nothing is re-encoded (no ffmpeg on the server):
the file is kept as it came, stored privately (``coop.lib.media``) and answered with the type we found,
so a browser never sniffs it into something else.
"""

import secrets

from django.core.files.base import ContentFile
from django.utils.translation import gettext as _

from coop.lib.errors import DomainError

# About a minute of Opus at 32 kbit/s is 250 KB and of AAC at 128 kbit/s about 1 MB; 2 MB leaves room for a
# phone that records WAV at 8 kHz (a minute ≈ 1 MB) and refuses anything that is not a short voice note.
MAX_VOICE_BYTES = 2 * 1024 * 1024
MAX_VOICE_SECONDS = 60
# Less than this holds a header and no voice (a second of Opus is already ~4 KB).
MIN_VOICE_BYTES = 512

# Stored ending → the type it is answered with.
VOICE_TYPES = {
    "webm": "audio/webm",
    "ogg": "audio/ogg",
    "m4a": "audio/mp4",
    "aac": "audio/aac",
    "amr": "audio/amr",
    "wav": "audio/wav",
}
VOICE_KINDS_WORDS = "webm、ogg、m4a、aac、amr、wav"


class VoiceError(DomainError):
    """An upload that is not a voice note we take (empty, too big, not a phone's sound file)."""

    def __init__(self, message, code="bad_voice_note", **kwargs):
        super().__init__(message, code, **kwargs)


def sniff_voice(head):
    """The ending of the sound file whose first bytes are ``head`` (at least 64 of them), or None."""
    if head.startswith(b"\x1a\x45\xdf\xa3"):  # EBML: WebM or Matroska; the DocType names which
        return "webm" if b"webm" in head[:64] else None
    if head.startswith(b"OggS"):
        return "ogg"
    if head[4:8] == b"ftyp":  # ISO media (MP4, M4A, 3GP): Safari's MediaRecorder and most recorder apps
        return "m4a"
    if head.startswith(b"#!AMR\n") or head.startswith(b"#!AMR-WB\n"):
        return "amr"
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return "wav"
    if len(head) > 1 and head[0] == 0xFF and head[1] & 0xF6 == 0xF0:  # an ADTS frame: raw AAC
        return "aac"
    return None


def clean_voice_note(upload):
    """Check ``upload`` and return ``(ContentFile with a random name, ending)``; raises ``VoiceError``.

    The size is checked before anything is read, and no more than the limit is ever read (a client can
    declare a small size and send more)."""
    size = getattr(upload, "size", None) or 0
    if size > MAX_VOICE_BYTES:
        raise VoiceError(_("录音太大（最多 2 MB，大约 1 分钟）。请录短一点再交。"))
    upload.seek(0)
    content = upload.read(MAX_VOICE_BYTES + 1)
    if len(content) > MAX_VOICE_BYTES:
        raise VoiceError(_("录音太大（最多 2 MB，大约 1 分钟）。请录短一点再交。"))
    if len(content) < MIN_VOICE_BYTES:
        raise VoiceError(_("录音是空的或太短，请重新录一次。"))
    ending = sniff_voice(content[:64])
    if ending is None:
        raise VoiceError(_("这不是手机录的声音文件（只收 %(kinds)s）。请重新录音。") % {"kinds": VOICE_KINDS_WORDS})
    return ContentFile(content, name=f"{secrets.token_hex(8)}.{ending}"), ending

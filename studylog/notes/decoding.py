"""Bytes of a note file to text, whatever editor wrote them.

Order: a byte-order mark decides (UTF-8, UTF-16 LE/BE, UTF-32: Notepad, PowerShell);
then strict UTF-8; then UTF-8 with a few broken bytes (a truncated copy) stays UTF-8 with
U+FFFD in their place; anything else goes to `charset-normalizer`, a maintained detector
that recognises CP949/EUC-KR and the other legacy code pages. NUL bytes without a BOM mean
a binary file, the only case that raises. Line endings become `\\n` and the text is
NFC-normalised by the parser, not here, so `Note.raw` stays what the file holds.
"""

from __future__ import annotations

import codecs
from pathlib import Path

from studylog.notes.model import NoteError

_BOMS = [  # longest first: the UTF-32 LE BOM starts with the UTF-16 LE one
    (codecs.BOM_UTF32_LE, "utf-32-le", "UTF-32"),
    (codecs.BOM_UTF32_BE, "utf-32-be", "UTF-32"),
    (codecs.BOM_UTF8, "utf-8", ""),
    (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16"),
]

# charset-normalizer's names of the encodings a notes folder plausibly holds: Korean first
# (the app's users), then the other CJK and Western legacy code pages.
_LIKELY = {
    "cp949", "euc_kr", "johab", "shift_jis", "cp932", "euc_jp", "iso2022_jp", "gb2312", "gbk",
    "gb18030", "big5", "big5hkscs", "cp1252", "latin_1", "iso8859_15", "cp1250", "iso8859_2",
    "cp1251", "koi8_r", "utf_16", "utf_32", "utf_8",
}


def decode_note_bytes(data: bytes, path: Path) -> tuple[str, list[str]]:
    """Text of a note file and warnings naming the file; raises NoteError for binary files."""
    warnings: list[str] = []
    for bom, encoding, label in _BOMS:
        if data.startswith(bom):
            text = data[len(bom):].decode(encoding, errors="replace")
            if label:
                warnings.append(f"{path}: read as {label} (byte-order mark)")
            if "\ufffd" in text:
                warnings.append(f"{path}: some bytes are not valid {label or 'UTF-8'}; shown as \ufffd")
            return text, warnings
    if b"\x00" in data[:8192]:
        raise NoteError(f"{path}: looks like a binary file (NUL bytes, no UTF-16 byte-order mark), not Markdown; skipped")
    try:
        return data.decode("utf-8"), warnings
    except UnicodeDecodeError as exc:
        first_bad = exc.start
    lenient = data.decode("utf-8", errors="replace")
    bad = lenient.count("\ufffd")
    good = sum(1 for ch in lenient if ord(ch) > 0x7F and ch != "\ufffd")
    if good >= bad:
        # Mostly valid UTF-8 with a few broken bytes: a detector would turn every good
        # character into mojibake to explain the bad ones.
        warnings.append(f"{path}: invalid UTF-8 at byte {first_bad}; unreadable bytes shown as \ufffd")
        return lenient, warnings
    from charset_normalizer import from_bytes  # detector: only files that are not UTF-8 pay for it

    best = from_bytes(data).best()
    if best is None or best.encoding not in _LIKELY:
        # A short run of garbage bytes "detected" as Urdu CP1006 is noise, not an encoding.
        try:
            text = data.decode("cp949")
            warnings.append(f"{path}: not UTF-8; read as CP949 (EUC-KR)")
            return text, warnings
        except UnicodeDecodeError:
            warnings.append(f"{path}: invalid UTF-8 at byte {first_bad}; unreadable bytes shown as \ufffd")
            return lenient, warnings
    name = best.encoding.replace("_", "-").upper()
    shown = "CP949 (EUC-KR)" if name in ("CP949", "EUC-KR", "UHC") else name
    warnings.append(f"{path}: not UTF-8; read as {shown}")
    return str(best), warnings

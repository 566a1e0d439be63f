"""Implicit AI labels in every file the kiosk and its tools write, read back with `edge-avatar rights
verify`: the metadata label (AIGC) always, and with C2PA credentials a signed C2PA manifest whose
ingredients are the assets' rights records. Writers: `run --output FILE.wav` and its frames
(test_rights_kiosk.py), `avatar preview`, `avatar build-default`, `panel test`."""

from __future__ import annotations

import io
import json
import wave

import numpy as np
import pygame
import pytest

from runtime.cli.main import main as cli_main
from runtime.rights.file_labels import C2PA_DIR_ENV, FileLabeller, read_file_labels
from runtime.rights.labels import (AssetRef, FileLabel, LabelError, png_label, png_with_label, wav_label,
                                   wav_with_label)


def _wav_bytes(n: int = 1001) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(np.arange(n, dtype="<i2").tobytes())
    return buf.getvalue()


def test_labels_round_trip_and_replace_an_earlier_one_without_touching_the_content(tmp_path):
    label = FileLabel("edge-avatar@mall-a", (AssetRef("nova-character", "avatar", b"record"),)).aigc("c1")
    wav = wav_with_label(wav_with_label(_wav_bytes(), FileLabel().aigc("old")), label)
    assert wav_label(wav) == label
    (tmp_path / "a.wav").write_bytes(wav)
    with wave.open(str(tmp_path / "a.wav")) as w:         # still an ordinary WAV, same samples
        assert np.array_equal(np.frombuffer(w.readframes(2000), "<i2"), np.arange(1001, dtype="<i2"))
    pygame.image.save(pygame.Surface((8, 8)), str(tmp_path / "a.png"))
    png = png_with_label(png_with_label((tmp_path / "a.png").read_bytes(), FileLabel().aigc("old")), label)
    assert png_label(png) == label and png.count(b"iTXt") == 1
    (tmp_path / "b.png").write_bytes(png)
    assert pygame.image.load(str(tmp_path / "b.png")).get_size() == (8, 8)
    assert label["AIGC"]["ReservedCode1"].startswith("nova-character@")
    with pytest.raises(LabelError, match="not a PNG"):
        png_with_label(wav, label)


@pytest.fixture
def c2pa_creds(tmp_path, monkeypatch):
    pytest.importorskip("c2pa")
    out = tmp_path / "kiosk-c2pa"
    assert cli_main(["rights", "c2pa-keygen", "--ca", str(tmp_path / "ca"), "--device", "kiosk-1",
                     "--out", str(out)]) == 0
    monkeypatch.setenv(C2PA_DIR_ENV, str(out))
    return tmp_path / "ca" / "ca.pem"


def test_every_tool_writes_files_that_verify_with_a_signed_c2pa_manifest(tmp_path, c2pa_creds, capsys):
    sheet, pattern, pack = tmp_path / "sheet.png", tmp_path / "pattern.png", tmp_path / "pack"
    assert cli_main(["avatar", "preview", "--out", str(sheet)]) == 0
    assert cli_main(["panel", "test", "portrait-1080x1920", "--out", str(pattern)]) == 0
    assert cli_main(["avatar", "build-default", "--out", str(pack), "--scale", "0.25"]) == 0
    files = [sheet, pattern, *sorted(pack.glob("*.png"))[:3]]
    capsys.readouterr()
    assert cli_main(["rights", "verify", "--json", "--trust-ca", str(c2pa_creds), *map(str, files)]) == 0
    results = json.loads(capsys.readouterr().out)
    for r in results:
        assert r["ok"] and r["aigc"]["Label"] == "1" and r["aigc"]["ProduceID"], r
        assert r["c2pa"]["trusted"] and r["c2pa"]["signer"].startswith("kiosk-1"), r
    assert results[2]["c2pa"]["ingredients"] == ["nova-character/rights.yaml"]     # the pack's art: Nova's record
    assert (pack / "rights.yaml").read_text().startswith("format: edge-avatar-rights/1")


def test_verify_fails_a_file_without_a_label_or_altered_after_signing(tmp_path, c2pa_creds, capsys):
    plain = tmp_path / "plain.png"
    pygame.image.save(pygame.Surface((16, 16)), str(plain))
    assert cli_main(["rights", "verify", str(plain)]) == 1
    assert "no implicit AIGC label" in capsys.readouterr().out
    signed = tmp_path / "signed.wav"
    signed.write_bytes(_wav_bytes())
    FileLabeller.from_env(FileLabel("edge-avatar")).label_file(signed)
    assert read_file_labels(signed).ok
    data = bytearray(signed.read_bytes())
    i = data.index(b"data") + 100
    data[i] ^= 0xFF                                     # one sample changed after signing
    signed.write_bytes(bytes(data))
    result = read_file_labels(signed)
    assert not result.ok and any("C2PA" in p for p in result.problems), result.problems

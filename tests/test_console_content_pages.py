"""The Content area's pages through Flask's test client (SQLite and PostgreSQL): roles, drafts that
survive a restart, problems at the field, Try it with a test-double voice, coverage, bundles."""

from __future__ import annotations

import io
import json

import pytest

from runtime.console.content.answer_voices import ToneVoices
from runtime.console.content.backends import ContentBackends, install_backends
from runtime.console.content.hearing import ScriptedHearing
from runtime.rights.file_labels import FileLabeller
from tests.console_fixtures import *


@pytest.fixture
def content_app(console_app):
    install_backends(console_app, ContentBackends(ToneVoices(), ScriptedHearing("where is the cinema"),
                                                  FileLabeller()))
    return console_app


def _new(client, name="mall", template="mall-demo"):
    return client.post("/content/new", data={"name": name, "template": template, "csrf_token": client.csrf})


def _field(client, name, path, text):
    return client.post(f"/content/d/{name}/field", json={"path": path, "text": text},
                       headers={"X-CSRFToken": client.csrf})


def test_edit_shows_the_checker_problem_at_the_field_and_survives_a_restart(content_app, client_as, console_settings):
    editor = client_as("editor")
    assert _new(editor).status_code == 302
    page = editor.get("/content/d/mall").get_data(as_text=True)
    assert 'data-path="intents[9].answer.en"' in page and "The cinema is on the sixth floor" in page
    bad = _field(editor, "mall", "venue.timezone", "Asia/Beijing").get_json()
    assert [(p["form_field"], p["line"] > 1) for p in bad["problems"]] == [("venue.timezone", True)]
    assert "IANA timezone" in bad["problems"][0]["message"]
    long = _field(editor, "mall", "intents[9].answer.en", "word " * 200).get_json()
    assert {p["form_field"] for p in long["problems"]} == {"venue.timezone", "intents[9].answer.en"}
    fixed = _field(editor, "mall", "venue.timezone", "Asia/Shanghai").get_json()
    fixed = _field(editor, "mall", "intents[9].answer.en", "The cinema moved to the seventh floor.").get_json()
    assert fixed["ok"] and fixed["problems"] == []
    # a new app on the same database (a console restart) still has the edit
    from runtime.console.app import create_app
    again = create_app(console_settings)
    try:
        client = again.test_client()
        from tests.console_fixtures import csrf_of, login
        assert login(client, "editor-user").status_code == 302
        assert "The cinema moved to the seventh floor." in client.get("/content/d/mall").get_data(as_text=True)
        assert csrf_of(client.get("/content/").get_data(as_text=True))
    finally:
        again.extensions["console_db"].dispose()


@pytest.mark.parametrize("console_db_url", [None], ids=["sqlite"])
def test_viewer_reads_but_cannot_edit_and_a_post_without_csrf_is_refused(content_app, client_as):
    editor = client_as("editor")
    _new(editor)
    viewer = client_as("viewer")
    page = viewer.get("/content/d/mall").get_data(as_text=True)
    assert "read-only" in page and "disabled" in page
    assert _field(viewer, "mall", "venue.id", "x").status_code == 403
    assert viewer.post("/content/new", data={"name": "v", "template": "mall-demo",
                                             "csrf_token": viewer.csrf}).status_code == 403
    assert editor.post("/content/d/mall/field", json={"path": "venue.id", "text": "x"}).status_code == 400
    assert viewer.get("/content/d/mall/bundle").status_code == 403      # a viewer builds nothing
    assert editor.get("/content/d/mall/bundle").status_code == 200


@pytest.mark.parametrize("console_db_url", [None], ids=["sqlite"])
def test_invalid_yaml_upload_is_named_at_the_field_and_kept(content_app, client_as):
    editor = client_as("editor")
    resp = editor.post("/content/upload", data={"name": "broken", "csrf_token": editor.csrf,
                                                "file": (io.BytesIO(b"venue:\n  id: [oops\n"), "faq.yaml")},
                       content_type="multipart/form-data")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 400 and 'data-for="upload-file"' in page and "faq.yaml:" in page
    assert "not valid YAML" in page
    editor_page = editor.get("/content/d/broken").get_data(as_text=True)
    assert "id: [oops" in editor_page            # nothing lost: the text is in the YAML box
    fixed = _field(editor, "broken", "(yaml)", "venue:\n  id: fixed\n").get_json()
    assert fixed["yaml_ok"] and fixed["reload"] and not fixed["ok"]


@pytest.mark.parametrize("console_db_url", [None], ids=["sqlite"])
def test_try_it_answers_with_audio_and_frames_and_the_microphone_path(content_app, client_as):
    editor = client_as("editor")
    _new(editor)
    _field(editor, "mall", "intents[9].answer.en", "[smile] The cinema moved to the seventh floor.")
    body = editor.post("/content/d/mall/try", json={"question": "Where is the cinema?", "speak": True},
                       headers={"X-CSRFToken": editor.csrf}).get_json()
    assert body["result"]["intent"] == "cinema" and body["result"]["answer"] == "The cinema moved to the seventh floor."
    assert body["result"]["cues"] == ["smile"]
    preview = body["preview"]
    assert preview["audio"].startswith("data:audio/wav;base64,") and len(preview["frames"]) >= 15 * preview["seconds"]
    times = [f["t_ms"] for f in preview["frames"]]
    assert times == sorted(times) and times[-1] >= preview["seconds"] * 1000
    wav = b"RIFF\x00\x00\x00\x00WAVEfmt " + bytes(100)
    heard = editor.post("/content/d/mall/listen", data={"audio": (io.BytesIO(wav), "q.wav"), "lang": "en",
                                                        "speak": "0", "csrf_token": editor.csrf},
                        content_type="multipart/form-data").get_json()
    assert heard["heard"] == "where is the cinema" and heard["result"]["intent"] == "cinema"
    bad = editor.post("/content/d/mall/listen", data={"audio": (io.BytesIO(b"not audio"), "q.wav"), "lang": "en",
                                                      "csrf_token": editor.csrf}, content_type="multipart/form-data")
    assert bad.status_code == 400 and bad.get_json()["field"] == "try-mic"


@pytest.mark.parametrize("console_db_url", [None], ids=["sqlite"])
def test_coverage_tests_and_add_as_example(content_app, client_as):
    editor = client_as("editor")
    _new(editor)
    editor.post("/content/d/mall/tests", data={"questions": "can I see a film here\nwhere is the pictures house",
                                                "lang": "en", "expected": "cinema", "action": "add",
                                                "csrf_token": editor.csrf})
    page = editor.get("/content/d/mall/coverage").get_data(as_text=True)
    assert "land where expected" in page and "add as example of cinema" in page
    editor.post("/content/d/mall/add-example", data={"intent": "cinema", "lang": "en",
                                                      "question": "where is the pictures house",
                                                      "csrf_token": editor.csrf})
    assert "where is the pictures house" in editor.get("/content/d/mall/faq.yaml").get_data(as_text=True)


RIGHTS = {"owner": "Sunshine Place Mall Co.", "licence": "proprietary: the venue's own answers"}


@pytest.mark.parametrize("console_db_url", [None], ids=["sqlite"])
def test_admin_builds_a_signed_bundle_and_bad_keys_are_named(content_app, client_as, tmp_path):
    from fleet.bundle_keys import generate_keypair
    admin = client_as("admin")
    _new(admin)
    key, _ = generate_keypair(tmp_path / "admin")
    bad = admin.post("/content/d/mall/bundle", data={"version": "1.0", "csrf_token": admin.csrf,
                                                     "key": (io.BytesIO(b"nope"), "k.key")},
                     content_type="multipart/form-data")
    assert bad.status_code == 400 and 'data-for="version"' in bad.get_data(as_text=True)
    bad = admin.post("/content/d/mall/bundle", data={"version": "1.0.1", "csrf_token": admin.csrf, **RIGHTS,
                                                     "key": (io.BytesIO(b"nope"), "k.key")},
                     content_type="multipart/form-data")
    assert bad.status_code == 400 and 'data-for="key"' in bad.get_data(as_text=True)
    ok = admin.post("/content/d/mall/bundle", data={"version": "1.0.1", "csrf_token": admin.csrf, **RIGHTS,
                                                    "key": (io.BytesIO(key.read_bytes()), "admin.key")},
                    content_type="multipart/form-data")
    page = ok.get_data(as_text=True)
    assert ok.status_code == 200 and "content-mall-demo-1.0.1.bundle" in page
    assert "/fleet/rollouts/new?bundle=content-mall-demo-1.0.1.bundle" in page
    audit = admin.get("/audit").get_data(as_text=True)
    assert "content.bundle" in audit and json


@pytest.mark.parametrize("console_db_url", [None], ids=["sqlite"])
def test_an_admin_opens_a_pack_folder_and_an_editor_may_not(content_app, client_as):
    from runtime.composition.config import DEFAULT_CONTENT
    admin, editor = client_as("admin"), client_as("editor")
    data = {"name": "museum", "folder": str(DEFAULT_CONTENT), "csrf_token": editor.csrf}
    assert editor.post("/content/open", data=data).status_code == 403
    data["csrf_token"] = admin.csrf
    assert admin.post("/content/open", data=data).status_code == 302
    assert "Star River Science Museum" in admin.get("/content/d/museum").get_data(as_text=True)
    bad = admin.post("/content/open", data={**data, "name": "other", "folder": "/nonexistent"})
    assert bad.status_code == 400 and 'data-for="open-folder"' in bad.get_data(as_text=True)


def test_two_editors_saving_at_once_both_keep_their_changes(content_app, client_as):
    """Each save reads, changes and writes the draft one at a time (a lock here, the row locked on
    PostgreSQL), so saves that cross never drop the other's change."""
    import threading
    editor, admin = client_as("editor"), client_as("admin")
    _new(editor)
    errors: list = []

    def typist(client, lang: str):
        try:
            for i in range(8):
                r = _field(client, "mall", f"intents[{i}].answer.{lang}", f"{lang} answer {i}")
                assert r.status_code == 200, r.get_data(as_text=True)
        except BaseException as err:   # reported by the main thread
            errors.append(err)
    threads = [threading.Thread(target=typist, args=(c, lang)) for c, lang in ((editor, "en"), (admin, "zh"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors
    text = editor.get("/content/d/mall/faq.yaml").get_data(as_text=True)
    for i in range(8):
        assert f"en answer {i}" in text and f"zh answer {i}" in text

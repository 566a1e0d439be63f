"""Fuzzing the fleet's parsers of outside input (hypothesis): any bytes on any topic, any manifest,
any bundle archive: a clear refusal every time, never a crash, never a half-changed state."""

from __future__ import annotations

import datetime as dt
import io
import json
import tarfile

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fleet import topics as T
from fleet.agent_core import AgentCore, Identity, Publish
from fleet.bundle_keys import TrustedKeys
from fleet.bundle_manifest import parse_manifest
from fleet.bundle_verifier import BundleVerifier
from fleet.chunk_store import CountingChunkStore
from fleet.errors import BundleRejected
from fleet.simulator import SimulatedState

TOPICS = [T.device("k1", T.DESIRED), T.group("g", T.DESIRED), T.device("k1", T.CMD), T.group("g", T.CMD),
          T.device("k1", T.STATUS), T.device("k1", T.HWTEST), T.ANNOUNCE, T.chunk("a" * 64, 3),
          "edge-avatar/bundles/zz/x", "edge-avatar/devices/k1/unknown"]
json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
                           lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=5),
                           max_leaves=20)
payloads = st.one_of(st.binary(max_size=300), json_values.map(lambda v: json.dumps(v).encode()),
                     st.fixed_dictionaries({"rev": st.integers(), "bundles": st.dictionaries(
                         st.sampled_from(["content", "voice", "x"]), json_values, max_size=2),
                         "settings": json_values}).map(lambda v: json.dumps(v).encode()),
                     st.fixed_dictionaries({"name": st.sampled_from(["status", "rollback", "say", "zz"]),
                                            "args": json_values, "reply_to": st.text(max_size=40),
                                            "correlation": json_values, "expires_at": json_values}
                                           ).map(lambda v: json.dumps(v).encode()))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(TOPICS), payloads), min_size=1, max_size=6))
def test_any_message_on_any_topic_gets_actions_or_a_reported_refusal(messages):
    core = AgentCore(Identity("k1", ("g",)), SimulatedState(), CountingChunkStore())
    core.connected(1, 0.0)
    for i, (topic, payload) in enumerate(messages):
        actions = core.message(topic, payload, float(i))
        assert isinstance(actions, list)
        for a in actions:
            if isinstance(a, Publish):
                assert a.topic.startswith("edge-avatar/") and isinstance(a.payload, bytes)
                if not a.topic.startswith("edge-avatar/replies/"):
                    assert a.topic.startswith("edge-avatar/devices/k1/")     # never writes elsewhere
                json.loads(a.payload)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_any_manifest_json_is_parsed_or_refused_as_bad_manifest(value):
    try:
        parse_manifest(json.dumps(value).encode())
    except BundleRejected as err:
        assert err.reason == "bad-manifest"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.text(min_size=1, max_size=30), st.binary(max_size=200)), max_size=5),
       st.binary(max_size=400))
def test_any_archive_is_verified_or_refused_with_a_reason(tmp_path_factory, entries, junk):
    from fleet.bundle_keys import generate_keypair
    folder = tmp_path_factory.mktemp("fuzz")
    _, pub = generate_keypair(folder / "k")
    verifier = BundleVerifier(TrustedKeys.from_files([pub]))
    archive = folder / "b.bundle"
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, data in entries:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    archive.write_bytes(buf.getvalue() + junk)
    out = folder / "out"
    out.mkdir()
    try:
        verifier.verify(archive, dt.datetime.now(dt.timezone.utc), extract_to=out)
        raise AssertionError("an unsigned archive must never verify")
    except BundleRejected as err:
        assert err.reason in ("bad-manifest", "no-signature", "unsafe-path", "tampered", "too-large")
    assert not any(p.is_file() for p in out.rglob("*"))      # nothing written before the signature checked

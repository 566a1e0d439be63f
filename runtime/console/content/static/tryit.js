// "Try it": ask the draft a question (typed, or spoken into the browser's microphone and sent as a WAV
// to the kiosk's recogniser); show intent, confidence and answer; play the answer's audio with the
// avatar's frames (rendered by the kiosk's renderer) shown in step with the audio's clock.
"use strict";
(() => {
  const root = document.getElementById("editor");
  if (!root) return;
  const $ = (id) => document.getElementById(id);
  const errorBox = $("try-error");
  const micBox = document.querySelector('.field-error[data-for="try-mic"]');
  let frames = [];
  let raf = 0;

  function showError(box, text) { box.textContent = text || ""; }

  function frameAt(ms) {
    let lo = 0, hi = frames.length - 1, best = 0;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (frames[mid].t_ms <= ms) { best = mid; lo = mid + 1; } else { hi = mid - 1; }
    }
    return frames[best];
  }

  function play(preview) {
    const audio = $("try-audio"), img = $("try-frame");
    cancelAnimationFrame(raf);
    frames = preview.frames;
    img.hidden = frames.length === 0;
    audio.hidden = false;
    if (frames.length) { img.src = frames[0].src; img.dataset.frames = String(frames.length); }
    audio.src = preview.audio;
    $("try-voice").textContent = `voice: ${preview.voice}, ${preview.seconds.toFixed(1)} s, ${frames.length} frames at ${preview.fps} fps`;
    const tick = () => {
      if (frames.length) {
        const f = frameAt(audio.currentTime * 1000);
        if (img.dataset.t !== String(f.t_ms)) { img.src = f.src; img.dataset.t = String(f.t_ms); }
      }
      if (!audio.paused && !audio.ended) raf = requestAnimationFrame(tick);
    };
    audio.onplay = () => { raf = requestAnimationFrame(tick); };
    audio.onseeked = tick;
    audio.play().catch(() => { /* autoplay refused: the controls are there */ });
  }

  function show(body) {
    const r = body.result;
    $("try-result").hidden = false;
    $("try-heard").textContent = body.heard !== undefined ? body.heard : r.question;
    $("try-intent").textContent = r.intent || `(${r.kind})`;
    $("try-confidence").textContent = r.confidence.toFixed(2);
    $("try-runner-up").textContent = r.runner_up || "—";
    $("try-answer").textContent = r.answer;
    if (body.preview) play(body.preview);
    else { $("try-audio").hidden = true; $("try-frame").hidden = true; }
  }

  async function send(url, options, box) {
    showError(errorBox, ""); showError(micBox, "");
    const busy = $("try-ask"); busy.disabled = true;
    try {
      const resp = await consoleFetch(url, options);
      const body = await resp.json();
      if (!resp.ok) { showError(body.field === "try-mic" ? micBox : box, body.error || `error ${resp.status}`); return; }
      show(body);
    } catch (err) {
      showError(box, `no answer (${err})`);
    } finally { busy.disabled = false; }
  }

  function ask() {
    send(root.dataset.tryUrl, {method: "POST", headers: {"Content-Type": "application/json"},
      body: JSON.stringify({question: $("try-question").value, lang: $("try-lang").value, speak: $("try-speak").checked})},
      errorBox);
  }
  $("try-ask").addEventListener("click", ask);
  $("try-question").addEventListener("keydown", (ev) => { if (ev.key === "Enter") ask(); });

  // ---- microphone: record, encode 16 kHz mono 16-bit WAV in the page, upload ----
  let recording = null;
  function wavFrom(samples, rate) {
    const buf = new ArrayBuffer(44 + samples.length * 2), v = new DataView(buf);
    const str = (o, s) => { for (let i = 0; i < s.length; i++) v.setUint8(o + i, s.charCodeAt(i)); };
    str(0, "RIFF"); v.setUint32(4, 36 + samples.length * 2, true); str(8, "WAVE"); str(12, "fmt ");
    v.setUint32(16, 16, true); v.setUint16(20, 1, true); v.setUint16(22, 1, true); v.setUint32(24, rate, true);
    v.setUint32(28, rate * 2, true); v.setUint16(32, 2, true); v.setUint16(34, 16, true); str(36, "data");
    v.setUint32(40, samples.length * 2, true);
    for (let i = 0; i < samples.length; i++) {
      const s = Math.max(-1, Math.min(1, samples[i]));
      v.setInt16(44 + i * 2, s < 0 ? s * 0x8000 : s * 0x7fff, true);
    }
    return new Blob([buf], {type: "audio/wav"});
  }
  async function startMic() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      showError(micBox, "this browser gives no microphone here (it needs https or localhost)"); return;
    }
    const stream = await navigator.mediaDevices.getUserMedia({audio: {channelCount: 1, echoCancellation: true}});
    const ctx = new AudioContext({sampleRate: 16000});
    const src = ctx.createMediaStreamSource(stream);
    const node = ctx.createScriptProcessor(4096, 1, 1);
    const chunks = [];
    let samples = 0;
    node.onaudioprocess = (e) => {
      chunks.push(new Float32Array(e.inputBuffer.getChannelData(0)));
      samples += e.inputBuffer.length;
      const seconds = samples / ctx.sampleRate;
      $("try-mic").dataset.seconds = seconds.toFixed(1);
      $("try-mic").textContent = `■ Stop and ask (${seconds.toFixed(1)} s)`;
    };
    src.connect(node); node.connect(ctx.destination);
    recording = {stream, ctx, node, chunks};
    $("try-mic").textContent = "■ Stop and ask";
  }
  async function stopMic() {
    const r = recording; recording = null;
    $("try-mic").textContent = "Speak (microphone)";
    delete $("try-mic").dataset.seconds;
    r.node.disconnect(); r.stream.getTracks().forEach((t) => t.stop());
    const total = r.chunks.reduce((n, c) => n + c.length, 0), all = new Float32Array(total);
    let at = 0; for (const c of r.chunks) { all.set(c, at); at += c.length; }
    const rate = r.ctx.sampleRate; await r.ctx.close();
    const form = new FormData();
    form.append("audio", wavFrom(all, rate), "question.wav");
    form.append("lang", $("try-lang").value);
    form.append("speak", $("try-speak").checked ? "1" : "0");
    send(root.dataset.listenUrl, {method: "POST", body: form}, micBox);
  }
  $("try-mic").addEventListener("click", () => {
    (recording ? stopMic() : startMic()).catch((err) => showError(micBox, `microphone: ${err}`));
  });
})();

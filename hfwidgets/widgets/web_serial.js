// The page's half of Web Serial capture (hfwidgets.widgets.web_serial; the kernel's half is
// hfwidgets.sensors.browser_serial). On the person's click it asks for a port, opens it at the
// sketch's baud rate, reads raw bytes and sends them to the kernel in binary batches, at most
// `max_messages_per_s` a second. An unplugged port is reopened when the same device comes back.
// Everything a person reads is set with textContent: port names never become HTML.

const VENDORS = {
  0x2341: "Arduino",
  0x2a03: "Arduino",
  0x1b4f: "SparkFun",
  0x239a: "Adafruit",
  0x2e8a: "Raspberry Pi",
  0x1a86: "CH340",
  0x10c4: "CP210x",
  0x0403: "FTDI",
};
const HARD_MAX_MESSAGES_PER_S = 25;
const POLL_MS = 500; // how often a lost port is looked for, besides the `connect` event
const sessions = new Map(); // model uid -> session: one reader per model, however many views
// Every browser tab showing the notebook has its own session; the kernel lets one of them own
// the port at a time and tells the others ("busy"), so two tabs never interleave their bytes.
const newPageId = () =>
  (window.crypto && window.crypto.randomUUID && window.crypto.randomUUID()) ||
  `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;

const hex = (n) => Number(n).toString(16).padStart(4, "0");
const pageMs = () => performance.timeOrigin + performance.now();

export function portName(port) {
  const info = (port.getInfo && port.getInfo()) || {};
  if (info.usbVendorId === undefined) return "serial port";
  const vendor = VENDORS[info.usbVendorId] || "USB serial";
  return `${vendor} USB ${hex(info.usbVendorId)}:${hex(info.usbProductId ?? 0)}`;
}

function sameDevice(a, b) {
  return !!a && !!b && a.usbVendorId === b.usbVendorId && a.usbProductId === b.usbProductId;
}

/** Why Web Serial cannot work on this page, and what to do; null when it can. */
export function unsupported(win = window) {
  const elsewhere =
    "or plug the sensor into the machine that runs Jupyter and pick its port in the Sensor menu.";
  if (!win.isSecureContext) {
    return {
      reason:
        `this page (${win.location.protocol}//${win.location.host}) is not a secure context: ` +
        "browsers offer Web Serial only on https pages and on localhost.",
      remedy:
        "Open JupyterLab over https, or as localhost through an SSH tunnel " +
        "(ssh -L 8888:localhost:8888 the-server), then reload; " +
        elsewhere,
    };
  }
  if (win.navigator.serial) return null;
  const ua = win.navigator.userAgent || "";
  let browser = "This browser";
  if (win.acquireVsCodeApi || /Electron|Code\//.test(ua)) browser = "VS Code's notebook view";
  else if (/Firefox\//.test(ua)) browser = "Firefox";
  else if (/Safari\//.test(ua) && !/Chrome|Chromium|Edg\//.test(ua)) browser = "Safari";
  else if (/Android|Mobile/.test(ua)) browser = "A mobile browser";
  return {
    reason: `${browser} has no Web Serial (navigator.serial).`,
    remedy: "Open this notebook in Chrome or Edge on a desktop computer, " + elsewhere,
  };
}

function createSession(model) {
  const s = {
    page: newPageId(),
    state: "idle", // idle | opening | open | waiting | unsupported
    note: "",
    port: null,
    info: null,
    name: "",
    reader: null,
    want: false, // the person wants a port open (reopen it when it comes back)
    pending: [],
    pendingBytes: 0,
    lastSent: -Infinity,
    timer: null,
    poll: null,
    lastError: "",
    listeners: new Set(),
  };
  const serial = window.navigator.serial;
  const emit = () => s.listeners.forEach((f) => f());
  const setState = (state, note = "") => {
    s.state = state;
    s.note = note;
    emit();
  };
  const interval = () => {
    const wanted = Number(model.get("max_messages_per_s")) || 20;
    return 1000 / Math.min(Math.max(wanted, 0.5), HARD_MAX_MESSAGES_PER_S);
  };

  // -- to the kernel: batches at a bounded rate, statuses in order after the data before them
  function flush() {
    if (!s.pending.length) return;
    const buffer = new Uint8Array(s.pendingBytes);
    const chunks = [];
    let offset = 0;
    for (const [arrived, bytes] of s.pending) {
      buffer.set(bytes, offset);
      offset += bytes.byteLength;
      chunks.push([arrived, bytes.byteLength]);
    }
    s.pending = [];
    s.pendingBytes = 0;
    model.send({ type: "data", page: s.page, chunks, sent: pageMs() }, undefined, [
      buffer.buffer,
    ]);
    s.lastSent = performance.now();
  }
  function schedule() {
    if (s.timer !== null) return;
    const wait = Math.max(0, s.lastSent + interval() - performance.now());
    s.timer = setTimeout(() => {
      s.timer = null;
      if (performance.now() - s.lastSent < interval()) schedule(); // a status went meanwhile
      else flush();
    }, wait);
  }
  function push(bytes) {
    s.pending.push([pageMs(), bytes]);
    s.pendingBytes += bytes.byteLength;
    schedule();
  }
  // Statuses are rare (a person's click, an unplug; reopening waits POLL_MS), so they go at
  // once, with the data read before them: the rate stays under HARD_MAX_MESSAGES_PER_S.
  function sendStatus(state, extra = {}) {
    flush();
    model.send({ type: "status", state, page: s.page, sent: pageMs(), ...extra });
    s.lastSent = performance.now();
  }

  // -- the port
  async function open(port, again) {
    setState("opening", again ? `${portName(port)} is back: reopening` : "");
    try {
      await port.open({ baudRate: Number(model.get("baudrate")), bufferSize: 1 << 16 });
    } catch (err) {
      const reason = `${err.name}: ${err.message}`;
      if (again) {
        setState("waiting", `${s.name} is back but cannot be opened yet (${reason})`);
        return false;
      }
      sendStatus("error", { reason });
      setState("idle", `cannot open ${portName(port)}: ${reason}. Is another tab or the ` +
        "Arduino IDE's serial monitor using it?");
      return false;
    }
    stopPolling();
    s.port = port;
    s.info = port.getInfo ? port.getInfo() : {};
    s.name = portName(port);
    s.want = true;
    s.lastError = "";
    sendStatus("connected", { port: s.name });
    setState("open");
    read(port);
    return true;
  }

  async function read(port) {
    while (s.port === port && port.readable) {
      let reader;
      try {
        reader = port.readable.getReader();
      } catch (err) {
        s.lastError = `${err.name}: ${err.message}`;
        break;
      }
      s.reader = reader;
      let done = false;
      try {
        for (;;) {
          const result = await reader.read();
          if (result.done) {
            done = true;
            break;
          }
          if (result.value && result.value.byteLength) push(result.value);
        }
      } catch (err) {
        // BufferOverrunError, BreakError, FramingError, ParityError leave the port open with
        // a new `readable` (the loop goes on); NetworkError means the device is gone.
        s.lastError = `${err.name}: ${err.message}`;
      } finally {
        try {
          reader.releaseLock();
        } catch (_err) {
          // already released
        }
        s.reader = null;
      }
      if (done) break;
    }
    if (s.port === port) lost(port, s.lastError || "the port stopped sending (unplugged?)");
  }

  async function lost(port, reason) {
    s.port = null;
    sendStatus("disconnected", { reason });
    setState("waiting", `${s.name} lost (${reason}): waiting for it to come back`);
    try {
      await port.close();
    } catch (_err) {
      // a vanished device cannot be closed; it is gone either way
    }
    startPolling();
  }

  async function lookForPort() {
    if (!s.want || s.port || s.state === "opening") return;
    let ports = [];
    try {
      ports = await serial.getPorts();
    } catch (_err) {
      return;
    }
    const back = ports.find((p) => sameDevice(p.getInfo ? p.getInfo() : null, s.info));
    if (back && s.want && !s.port && s.state !== "opening") await open(back, true);
  }
  function startPolling() {
    if (s.poll === null) s.poll = setInterval(lookForPort, POLL_MS);
  }
  function stopPolling() {
    if (s.poll !== null) clearInterval(s.poll);
    s.poll = null;
  }

  async function close(tell = true) {
    s.want = false;
    stopPolling();
    const port = s.port;
    s.port = null;
    if (s.reader) {
      try {
        await s.reader.cancel();
      } catch (_err) {
        // the stream is already errored
      }
    }
    if (port) {
      try {
        await port.close();
      } catch (_err) {
        // already closed
      }
    }
    if (tell) sendStatus("closed");
    setState("idle", port ? `${s.name} closed` : "");
  }

  async function pick() {
    let port;
    try {
      port = await serial.requestPort({ filters: model.get("filters") || [] });
    } catch (err) {
      const why = err.name === "NotFoundError" ? "no port was chosen" : `${err.name}: ${err.message}`;
      setState(s.state, why);
      return;
    }
    if (s.port || s.want) await close(s.port !== null);
    await open(port, false);
  }

  const onConnect = () => lookForPort();
  const onDisconnect = (event) => {
    if (event.target === s.port && s.reader) {
      s.lastError = "the device was unplugged";
      s.reader.cancel().catch(() => {});
    }
  };
  const why = unsupported();
  if (why) {
    s.state = "unsupported";
    s.note = `${why.reason} ${why.remedy}`;
  } else {
    serial.addEventListener("connect", onConnect);
    serial.addEventListener("disconnect", onDisconnect);
  }
  const onKernel = (msg) => {
    if (msg && msg.type === "close") close(true);
    // Another tab owns the port: let go of ours (without a word to the kernel) and say why.
    if (msg && msg.type === "busy" && msg.page === s.page) {
      s.pending = [];
      s.pendingBytes = 0;
      close(false).then(() => setState("idle", String(msg.reason || "another tab reads it")));
    }
  };
  model.on("msg:custom", onKernel);
  model.send({
    type: "support",
    available: !why,
    reason: why ? why.reason : "",
    remedy: why ? why.remedy : "",
  });

  s.pick = pick;
  s.dispose = () => {
    model.off("msg:custom", onKernel);
    if (!why) {
      serial.removeEventListener("connect", onConnect);
      serial.removeEventListener("disconnect", onDisconnect);
    }
    close(false);
  };
  return s;
}

function initialize({ model }) {
  const uid = model.get("uid");
  const session = createSession(model);
  sessions.set(uid, session);
  return () => {
    session.dispose();
    sessions.delete(uid);
  };
}

function render({ model, el }) {
  const s = sessions.get(model.get("uid"));
  const box = document.createElement("div");
  box.className = "hfw-web-serial";
  const button = document.createElement("button");
  button.className = "jupyter-button hfw-web-serial-connect";
  button.textContent = "Connect USB sensor";
  const state = document.createElement("span");
  state.className = "hfw-web-serial-state";
  const summary = document.createElement("div");
  summary.className = "hfw-web-serial-summary";
  box.append(button, state, summary);
  el.append(box);

  const draw = () => {
    const baud = model.get("baudrate");
    const texts = {
      idle: "Click “Connect USB sensor” and pick the board's port (the browser asks which).",
      opening: "opening the port…",
      open: `reading ${s.name} at ${baud} baud`,
      waiting: "",
      unsupported: "Web Serial is not available here: ",
    };
    box.dataset.state = s.state;
    button.style.display = s.state === "unsupported" ? "none" : "";
    button.disabled = s.state === "opening";
    button.textContent = s.state === "open" ? "Change port" : "Connect USB sensor";
    state.textContent = [texts[s.state], s.note].filter(Boolean).join(" ");
    summary.textContent = model.get("summary");
  };
  button.addEventListener("click", () => s.pick());
  s.listeners.add(draw);
  model.on("change:summary", draw);
  draw();
  return () => {
    s.listeners.delete(draw);
    model.off("change:summary", draw);
  };
}

export default { initialize, render };

// A scripted Web Serial port in place of navigator.serial (a Playwright init script).
//
// It behaves as Chrome's Web Serial does with an Uno-style board: requestPort() returns the
// board (as if the person picked it), opening resets the board (header first, millis() from 0),
// reads return Uint8Array chunks every `chunkMs`, and an unplug errors the stream with a
// NetworkError, nulls `readable`, fires `disconnect` on navigator.serial; the replug fires
// `connect` with a new SerialPort object for the same USB device, which getPorts() lists.
//
// window.__fakeSerial.config (set before the click): rate (lines/s), garbageEvery (a garbage line
// after every N good lines; 0 none), unplugAfter (good lines before the one unplug; null none),
// unplugForMs, total (good lines in all, then silence). Counters: sent (good lines delivered),
// garbage, opens, unplugs, done. Rows of samples come from __HFW_SAMPLES__ (cycled).
(() => {
  const SAMPLES = __HFW_SAMPLES__;
  const GARBAGE = [
    "1234,0.0120,0.9810",
    "abc,def,ghi,jkl",
    "99,nan,0.0120,0.9810",
    "1234,0.0120,0.9810,0.1000,0.5",
    "\u00fe\u009c\u00a7\u00e3\u0081",
    "99,250.0000,0.0120,0.9810",
  ];
  const encoder = new TextEncoder();
  const control = {
    config: { rate: 50, garbageEvery: 0, unplugAfter: null, unplugForMs: 1500, total: Infinity,
      chunkMs: 10, vid: 0x2341, pid: 0x0043 },
    sent: 0,
    garbage: 0,
    opens: 0,
    unplugs: 0,
    done: false,
    baudRate: null,
    requested: 0,
  };
  window.__fakeSerial = control;

  const serial = new EventTarget();
  let current = null; // the plugged-in SerialPort object (a new one after each replug)
  let unplugged = false;

  const fmt = (x) => x.toFixed(4);
  class FakePort extends EventTarget {
    constructor() {
      super();
      this.readable = null;
      this.writable = null;
      this._timer = null;
      this._controller = null;
    }
    getInfo() {
      return { usbVendorId: control.config.vid, usbProductId: control.config.pid };
    }
    async open(options) {
      if (this !== current || unplugged) throw new DOMException("The device has been lost.", "NetworkError");
      if (this.readable) throw new DOMException("The port is already open.", "InvalidStateError");
      control.baudRate = options.baudRate;
      control.opens += 1;
      const port = this;
      let started = null;
      let line = 0; // lines of this boot (millis() restarts with each open)
      this.readable = new ReadableStream({
        start(controller) {
          port._controller = controller;
          controller.enqueue(encoder.encode(`# hfw-imu v1 rate=${control.config.rate} range=8g\n`));
          started = performance.now();
          port._timer = setInterval(() => {
            const cfg = control.config;
            const due = Math.floor(((performance.now() - started) * cfg.rate) / 1000);
            let text = "";
            while (line < due && control.sent < cfg.total) {
              if (cfg.unplugAfter !== null && control.unplugs === 0 && control.sent === cfg.unplugAfter) {
                // The cable goes mid-line: the half line never ends.
                controller.enqueue(encoder.encode(text + "12345,0.01"));
                port._unplug();
                return;
              }
              const row = SAMPLES[control.sent % SAMPLES.length];
              const tMs = Math.floor((line * 1000) / cfg.rate);
              text += `${tMs},${fmt(row[0])},${fmt(row[1])},${fmt(row[2])}\n`;
              line += 1;
              control.sent += 1;
              if (cfg.garbageEvery && control.sent % cfg.garbageEvery === 0) {
                text += GARBAGE[control.garbage % GARBAGE.length] + "\n";
                control.garbage += 1;
              }
            }
            if (text) {
              // Two reads per tick, cut mid-line, as USB packets cut the stream.
              const bytes = encoder.encode(text);
              const cut = Math.floor(bytes.length / 2);
              controller.enqueue(bytes.slice(0, cut));
              controller.enqueue(bytes.slice(cut));
            }
            if (control.sent >= cfg.total) control.done = true;
          }, control.config.chunkMs);
        },
        cancel() {
          clearInterval(port._timer);
        },
      });
    }
    _unplug() {
      clearInterval(this._timer);
      unplugged = true;
      control.unplugs += 1;
      const controller = this._controller;
      // Erroring a stream discards what is queued: let the reader take the lines sent before
      // the cable went (every counted line is delivered), then fail as Chrome does.
      const fail = () => {
        if (controller.desiredSize < 1) {
          setTimeout(fail, 5);
          return;
        }
        this.readable = null;
        controller.error(new DOMException("The device has been lost.", "NetworkError"));
        serial.dispatchEvent(new Event("disconnect"));
      };
      fail();
      setTimeout(() => {
        unplugged = false;
        current = new FakePort();
        const event = new Event("connect");
        serial.dispatchEvent(event);
      }, control.config.unplugForMs);
    }
    async close() {
      clearInterval(this._timer);
      if (this.readable && this.readable.locked) {
        throw new DOMException("The port has a locked stream.", "InvalidStateError");
      }
      this.readable = null;
    }
    async forget() {}
  }
  current = new FakePort();
  serial.requestPort = async () => {
    control.requested += 1;
    return current;
  };
  serial.getPorts = async () => (unplugged ? [] : [current]);
  Object.defineProperty(Navigator.prototype, "serial", {
    configurable: true,
    get: () => serial,
  });
})();

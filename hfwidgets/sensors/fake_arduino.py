"""A fake hfw-imu Arduino on a pseudo-terminal, for tests and demos without hardware.

It behaves like an Uno-style board on USB: opening the port resets it, so it waits for a reader,
"boots" (``boot_s``), prints the header and streams samples from the simulated arm with
``t_ms`` starting again at 0. It can inject garbage lines and unplug itself: the device node
disappears, samples made meanwhile are lost, and a new pty appears behind the same stable path
(a symlink, like udev's ``/dev/serial/by-id`` links).

Every sample is accounted for: ``sent`` (written to a listening port), ``lost_unplugged`` (made
while unplugged), ``unheard`` (in a write the reader closed the port during). While nobody
listens the simulated arm waits, as a reset-on-open board would.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import pty
import select
import struct
import tempfile
import termios
import threading
import time
import tty
from pathlib import Path

import numpy as np

from hfwidgets._worker import Worker
from hfwidgets.sensors.motions import motion_stream
from hfwidgets.sensors.protocol import format_count, format_header, format_line

__all__ = ["COUNT_DELAY_S", "GARBAGE_LINES", "FakeArduino"]

#: How long after a high-five's peak the fake board says it counted it (its window must cover
#: the motion first).
COUNT_DELAY_S = 0.4

#: Bad lines the fake injects, one per kind of fault a real link produces. None is valid.
GARBAGE_LINES = (
    b"\xfe\x9c\xa7\xe3\x81\xbf\xc0\xf8\x8b\x97",  # line noise, as at a wrong baud rate
    b"1234,0.0120,0.9810",  # a field missing (bytes lost mid-line)
    b"1234,0.0120,0.9810,0.1000,0.5",  # a field too many (two lines run together)
    b"abc,def,ghi,jkl",  # not numbers
    b"99,nan,0.0120,0.9810",  # NaN from a broken driver
    b"99,inf,0.0120,0.9810",
    b"99,250.0000,0.0120,0.9810",  # absurd value
    b"",  # an empty line
    b"5,0.1000,,0.3000",  # an empty field
    b"-5,0.1000,0.2000,0.3000",  # negative time
)


def _unread_bytes(slave_path: str) -> int:
    """Bytes written to the pty that its reader has not read yet (0 if it cannot be told)."""
    try:
        fd = os.open(slave_path, os.O_RDONLY | os.O_NOCTTY | os.O_NONBLOCK)
    except OSError:
        return 0
    try:
        return int(struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD, b"\0\0\0\0"))[0])
    finally:
        os.close(fd)


class FakeArduino:
    """A pseudo-terminal that speaks the hfw-imu protocol (``hfw simulate-arduino``).

    Parameters
    ----------
    rate_hz : float
        Samples per second.
    seconds : float, optional
        Stop after this many seconds of samples (sent plus lost); None runs until :meth:`stop`.
    garbage : float
        Fraction of extra bad lines inserted between good ones (0.01 = 1 per 100 samples).
    unplug_every, unplug_for : float, optional
        Unplug after every ``unplug_every`` seconds of streaming, for ``unplug_for`` seconds.
    link : str or Path, optional
        The stable path to create; default ``<tmp>/hfw-arduino-<pid>/ttyHFW0``.
    realtime : bool
        Pace lines at ``rate_hz``; False writes as fast as the reader takes them.
    boot_s : float
        Delay between a reader opening the port and the header (a real Uno takes ~1.6 s).
    seed : int
        Seeds the simulated arm and the garbage.
    board_counts : bool
        Act as a board that runs a board model (``hfw export --format board``): after each
        simulated high-five, a ``# count N p=0.97`` line (N from 1 again at every boot), as
        the generated sketch prints, ``COUNT_DELAY_S`` after the motion's peak.
    """

    def __init__(
        self,
        *,
        rate_hz: float = 50.0,
        seconds: float | None = None,
        garbage: float = 0.0,
        unplug_every: float | None = None,
        unplug_for: float = 1.0,
        link: str | os.PathLike[str] | None = None,
        realtime: bool = True,
        boot_s: float = 0.05,
        seed: int = 0,
        board_counts: bool = False,
    ) -> None:
        if not rate_hz > 0:
            raise ValueError(f"--rate must be > 0, got {rate_hz!r}")
        if not 0.0 <= garbage < 1.0:
            raise ValueError(f"--garbage must be a fraction in [0, 1), got {garbage!r}")
        if unplug_every is not None and not unplug_every > 0:
            raise ValueError(f"--unplug-every must be > 0 s, got {unplug_every!r}")
        self.rate_hz, self.seconds, self.garbage = float(rate_hz), seconds, float(garbage)
        self.unplug_every, self.unplug_for = unplug_every, float(unplug_for)
        self.realtime, self.boot_s, self.seed = bool(realtime), float(boot_s), int(seed)
        self._own_dir = link is None
        if link is None:
            link = Path(tempfile.mkdtemp(prefix=f"hfw-arduino-{os.getpid()}-")) / "ttyHFW0"
        self.path = str(link)
        self.sent = self.garbage_sent = self.lost_unplugged = self.unheard = 0
        self.unplugs = self.boots = 0
        self.sent_xyz: list[np.ndarray] = []  # what was delivered, for exact checks in tests
        self.replugs: list[float] = []  # time.monotonic() of each replug
        self._master: int | None = None
        self._slave_name = ""
        self._stop = threading.Event()  # the current run's, from the worker
        self._worker = Worker(self._run, name="hfw-fake-arduino", join_timeout=5.0)
        self._rng = np.random.default_rng(seed + 1)
        self._arm = motion_stream(rate_hz=self.rate_hz, seed=self.seed, events_per_minute=15.0)
        self._arm_buf = np.zeros((0, 3))
        self._garbage_due = 0.0
        self.board_counts = bool(board_counts)
        self.board_count = 0  # what the board has counted since its last boot
        self._taken = 0  # samples taken from the arm (sent, lost or unheard)
        self._count_at: list[int] = []  # sample index after which the board counts

    # -- public control -----------------------------------------------------------------------
    def start(self) -> FakeArduino:
        """Plug in (create the pty and the link) and start the writer thread."""
        self._plug()
        self._worker.start()
        return self

    def join(self, timeout: float | None = None) -> bool:
        """Wait until ``seconds`` of samples are done; True if finished."""
        return self._worker.join(timeout)

    def wait_drained(self, timeout: float = 5.0) -> bool:
        """Wait until the reader has read every byte written so far; True if it has."""
        # Bytes just written may still sit in the kernel's flip buffer, invisible to FIONREAD:
        # only an empty queue seen on three checks 10 ms apart counts as drained.
        deadline = time.monotonic() + timeout
        empty_checks = 0
        while self._master is not None and empty_checks < 3:
            empty_checks = empty_checks + 1 if _unread_bytes(self._slave_name) == 0 else 0
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.01)
        return True

    def stop(self) -> None:
        """Stop writing, unplug and remove the link (and its folder if we made it)."""
        self._worker.stop()
        self._unplug(drain=False)
        if self._own_dir:
            with contextlib.suppress(OSError):
                Path(self.path).parent.rmdir()

    def __enter__(self) -> FakeArduino:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def sent_samples(self) -> np.ndarray:
        """All delivered samples as written (rounded to 4 decimals), float64 (n, 3)."""
        return np.concatenate(self.sent_xyz) if self.sent_xyz else np.zeros((0, 3))

    # -- the pty ------------------------------------------------------------------------------
    def _plug(self) -> None:
        master, slave = pty.openpty()
        tty.setraw(slave)  # no echo, no newline translation, before any reader opens it
        self._slave_name = os.ttyname(slave)
        os.close(slave)  # so that poll() on the master tells whether a reader has it open
        os.set_blocking(master, False)
        self._master = master
        tmp = f"{self.path}.tmp"
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        os.symlink(self._slave_name, tmp)
        os.replace(tmp, self.path)  # atomic re-point, as udev does

    def _unplug(self, *, drain: bool) -> None:
        if self._master is None:
            return
        if drain:  # let the reader take what was sent before the cable "came out"
            self.wait_drained(1.0)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)
        os.close(self._master)
        self._master = None

    def _listening(self) -> bool:
        """A reader has the port open (no hang-up on the master side)."""
        if self._master is None:
            return False
        poller = select.poll()
        poller.register(self._master, select.POLLHUP)
        return not poller.poll(0)

    def _write_all(self, data: bytes) -> bool:
        """Write everything unless the reader closes the port or we stop; True if written."""
        view = memoryview(data)
        poller = select.poll()
        assert self._master is not None
        poller.register(self._master, select.POLLOUT)
        while view and not self._stop.is_set():
            events = poller.poll(50)
            if any(ev & select.POLLHUP for _, ev in events):
                return False
            if not events:
                continue
            try:
                view = view[os.write(self._master, view) :]
            except BlockingIOError:
                continue
            except OSError as exc:
                if exc.errno == errno.EIO:
                    return False
                raise
        return not view

    # -- the writer thread ----------------------------------------------------------------------
    def _take(self, n: int) -> np.ndarray:
        """The simulated arm's next ``n`` samples, rounded as the sketch prints them."""
        while self._arm_buf.shape[0] < n:
            chunk, events = next(self._arm)
            more = np.round(chunk.astype(np.float64), 4)
            self._count_at += [
                round((e.t + COUNT_DELAY_S) * self.rate_hz) for e in events if e.kind == "high-five"
            ]
            self._arm_buf = np.concatenate([self._arm_buf, more])
        xyz, self._arm_buf = self._arm_buf[:n], self._arm_buf[n:]
        self._taken += n
        return xyz

    def _run(self, stop: threading.Event) -> None:
        self._stop = stop
        limit = None if self.seconds is None else round(self.seconds * self.rate_hz)
        per_plug = None if self.unplug_every is None else round(self.unplug_every * self.rate_hz)
        made = 0  # samples made by the simulated arm: sent, lost or unheard
        while not self._stop.is_set() and (limit is None or made < limit):
            if not self._wait_for_reader():
                return
            self.boots += 1
            self.board_count = 0
            t_boot, since_boot = time.monotonic(), 0  # t_ms restarts at every boot
            if not self._write_all(format_header(self.rate_hz, range="8g", board="fake")):
                continue
            while not self._stop.is_set() and (limit is None or made < limit):
                if per_plug is not None and since_boot >= per_plug:
                    made += self._unplug_for_a_while()
                    break
                if self.realtime:  # what the clock says is due, at most 1 s at once
                    n = int((time.monotonic() - t_boot) * self.rate_hz) + 1 - since_boot
                    n = min(n, round(self.rate_hz))
                else:
                    n = 128
                if limit is not None:
                    n = min(n, limit - made)
                if per_plug is not None:
                    n = min(n, per_plug - since_boot)
                if n <= 0:
                    self._stop.wait(min(0.01, 1.0 / self.rate_hz))
                    continue
                xyz = self._take(n)
                t_ms = np.round((since_boot + np.arange(n)) * 1000.0 / self.rate_hz)
                data, n_garbage = self._lines(t_ms.astype(np.int64), xyz)
                made += n
                if not self._write_all(data):
                    self.unheard += n
                    break  # the reader went away: the board resets when one comes back
                self.sent += n
                self.garbage_sent += n_garbage
                self.sent_xyz.append(xyz)
                since_boot += n

    def _lines(self, t_ms: np.ndarray, xyz: np.ndarray) -> tuple[bytes, int]:
        # Garbage at an exact share (an accumulator, not a coin toss), of a random kind.
        out, n_garbage = [], 0
        first = self._taken - t_ms.shape[0]  # arm index of the first of these samples
        for i in range(t_ms.shape[0]):
            out.append(format_line(int(t_ms[i]), *xyz[i]))
            while self.board_counts and self._count_at and self._count_at[0] <= first + i:
                if self._count_at.pop(0) == first + i:  # earlier ones fell while unplugged
                    self.board_count += 1
                    out.append(format_count(self.board_count, float(self._rng.uniform(0.85, 1.0))))
            self._garbage_due += self.garbage
            if self._garbage_due >= 1.0:
                self._garbage_due -= 1.0
                out.append(GARBAGE_LINES[int(self._rng.integers(len(GARBAGE_LINES)))] + b"\n")
                n_garbage += 1
        return b"".join(out), n_garbage

    def _wait_for_reader(self) -> bool:
        while not self._stop.is_set():
            if self._listening():
                self._stop.wait(self.boot_s)  # the bootloader runs before the sketch prints
                return not self._stop.is_set()
            self._stop.wait(0.01)
        return False

    def _unplug_for_a_while(self) -> int:
        """Unplug, let the arm move on for ``unplug_for`` s (those samples are lost), replug."""
        self._unplug(drain=True)
        self.unplugs += 1
        lost = round(self.unplug_for * self.rate_hz)
        self._take(lost)  # the arm moves on while the cable is out
        self.lost_unplugged += lost
        self._stop.wait(self.unplug_for)
        if not self._stop.is_set():
            self._plug()
            self.replugs.append(time.monotonic())
        return lost

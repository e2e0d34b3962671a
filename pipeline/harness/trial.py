"""`ped trial`: continuous anytime inference on a board, every record kept in SQLite.

The host streams windows (a recording: the test split, or a CSV) at the sensor's rate with
WINDOW messages; the device answers each window with one TRIAL record and keeps it until a
TRIAL_ACK covers it (docs/protocol.md). The host commits records to SQLite (WAL, one
transaction per batch) and acknowledges only what is committed, so a vanished port, a lost or
corrupt frame or a device reset loses nothing that the device still holds: after a reset
the device forgets its ring and the trial restarts at the first unacknowledged sequence
number. Records are committed in sequence order only (a gap is re-requested first), so the
table holds every sequence number exactly once, or inside an OVERFLOW record's range.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from pipeline import protocol as P
from pipeline.harness.device import Device
from pipeline.harness.errors import (
    DeviceRejected,
    DeviceReset,
    DeviceTimeout,
    HarnessError,
    PortError,
)
from pipeline.harness.link import Link

SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    seq INTEGER PRIMARY KEY, kind TEXT NOT NULL, count INTEGER NOT NULL, t_us INTEGER,
    window INTEGER, stage INTEGER, class INTEGER, margin INTEGER, reason TEXT,
    battery INTEGER, cycles INTEGER, label INTEGER, host_time REAL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
"""
MAX_RESETS = 100
REASONS = ("all", "deadline", "battery", "confident", "admission")


class TrialStore:
    """The trial's SQLite database (WAL): records in sequence order, plus key/value meta."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(SCHEMA)

    def close(self) -> None:
        self.db.close()

    def next_seq(self) -> int:
        """First sequence number not yet stored."""
        row = self.db.execute("SELECT MAX(seq + count) FROM records").fetchone()
        return int(row[0] or 0)

    def get(self, key: str, default: str | None = None) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else default

    def commit(self, recs: list[P.TrialRecord], labels: np.ndarray | None,
               meta: dict[str, str]) -> None:
        """Store a batch and the meta in one transaction."""
        now = time.time()
        rows = []
        for r in recs:
            label = (int(labels[r.window % len(labels)])
                     if labels is not None and r.kind != P.RecordKind.OVERFLOW else None)
            reason = REASONS[r.reason] if r.reason < len(REASONS) else str(r.reason)
            rows.append((r.seq, r.kind.name.lower(), r.count, r.t_us, r.window, r.stage, r.cls,
                         r.margin, reason, r.battery, r.cycles, label, now))
        with self.db:
            self.db.executemany("INSERT INTO records VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
            self.db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", meta.items())


@dataclass
class TrialConfig:
    url: str
    target: str
    db_path: Path
    period_s: float = 0.1          # window period (the sensor's rate)
    deadline_us: int = 0           # per-window deadline; 0 = the period
    threshold: int = -1            # early-exit margin; <= 0 never
    duration_s: float | None = None  # stop after this long (None: one pass of the recording)
    batch: int = 8                 # windows between acknowledgements
    timeout: float = 2.0
    connect_timeout: float = 10.0
    reconnect_s: float = 20.0      # how long a vanished port may stay away
    battery: tuple[int, int] | None = None  # (permille, drain) for emulated boards
    power: Callable[[int, int], None] | None = None  # host-driven battery (rp2040js), if any
    expected_hash: str | None = None
    run_dir: str = ""


@dataclass
class TrialStats:
    windows_sent: int = 0
    records: int = 0
    overflow_dropped: int = 0
    resets: int = 0
    disconnects: int = 0
    bad_frames: int = 0
    resent: int = 0  # records the device sent again on TRIAL_ACK (lost or unacknowledged)
    ended: str = "recording"  # recording, duration, battery
    seconds: float = 0.0
    faults: list[str] = field(default_factory=list)


class _CorruptOnce:
    """Port proxy that flips the 8th byte received once armed (fault injection: one frame
    arrives with a bad CRC and must be re-requested)."""

    def __init__(self, port) -> None:
        self.port, self.armed, self.countdown = port, False, 8

    def __getattr__(self, name: str):
        return getattr(self.port, name)

    def read(self, n: int) -> bytes:
        data = self.port.read(n)
        if not self.armed or not data:
            return data
        if len(data) < self.countdown:
            self.countdown -= len(data)
            return data
        b = bytearray(data)
        i = self.countdown - 1
        b[i] = b[i] ^ 0x55 or 0xAA
        self.armed, self.countdown = False, 8
        return bytes(b)


class TrialRunner:
    """One trial: stream windows, collect records, survive disconnects and resets."""

    def __init__(self, cfg: TrialConfig, windows: np.ndarray, labels: np.ndarray | None,
                 log: Callable[[str], None] = print,
                 faults: dict[int, str] | None = None) -> None:
        self.cfg, self.windows, self.labels, self.log = cfg, windows, labels, log
        self.faults = dict(faults or {})
        self.store = TrialStore(cfg.db_path)
        self.next_seq = self.store.next_seq()
        self.window = int(self.store.get("next_window", "0") or 0)
        self.held: dict[int, P.TrialRecord] = {}
        self.stats = TrialStats()
        self.link: Link | None = None
        self.dev: Device | None = None
        self.deaf = 0  # windows left during which device output is lost (fault injection)
        self.session: int | None = None  # the link session the device holds, once HELLO ran
        self.ended = self.store.get("ended") == "battery"
        last = self.store.db.execute(
            "SELECT window FROM records WHERE kind != 'overflow' ORDER BY seq DESC LIMIT 1"
        ).fetchone()
        self.replay_from: int | None = last[0] + 1 if last else None

    # ---- connection --------------------------------------------------------------------

    def _open(self, wait: float) -> None:
        # a reconnect keeps the session: a device that did not reset still holds it, and one
        # that did answers with session 0, which the link reports as DeviceReset
        self.link = Link(self.cfg.url, timeout=self.cfg.timeout, connect_timeout=wait,
                         session=self.session)
        self.link.port = _CorruptOnce(self.link.port)
        self.dev = Device(self.link)

    def _close(self) -> None:
        if self.link is not None:
            self.stats.bad_frames += self.link.stats.bad_frames
            self.link.close()
        self.link = self.dev = None

    def _start(self) -> None:
        """Handshake and (re)start the trial at the first sequence number not stored."""
        assert self.dev is not None and self.link is not None
        if self.stats.resets > MAX_RESETS:
            raise HarnessError(f"the device reset {self.stats.resets} times during the trial",
                               "check its power supply and watchdog")
        for _ in range(5):
            try:
                info = self.dev.hello()
                break
            except DeviceReset:
                continue
        else:
            raise HarnessError("the device keeps resetting", "check its power supply")
        self.session = self.link.session
        if self.cfg.expected_hash:
            self.dev.check_bundle(self.cfg.expected_hash, self.cfg.run_dir, self.cfg.target)
        if len(self.windows[0]) != info.input_len:
            raise HarnessError(f"windows have {len(self.windows[0])} values, the device's model "
                               f"expects {info.input_len}", "record with the model's input shape")
        if self.cfg.battery is not None:
            (self.cfg.power or self.dev.battery)(*self.cfg.battery)
            self.cfg.battery = None  # only once: a reset must not recharge it
        self.held.clear()
        if self.replay_from is not None:
            # the device lost the records it held: stream their windows again
            self.window = self.replay_from
        self.link.request(P.Msg.TRIAL_START, P.trial_start_payload(
            self.next_seq, int(self.cfg.period_s * 1e6), self.cfg.deadline_us,
            self.cfg.threshold))

    def _reconnect(self, why: str) -> None:
        """The port vanished or stopped answering: reopen it, then resume or restart."""
        self.log(f"link lost ({why}); reconnecting")
        self.stats.disconnects += 1
        self._close()
        self._open(self.cfg.reconnect_s)
        try:
            self._sync()
        except (DeviceRejected, DeviceReset):
            self.log("the device reset while away: restarting the trial at "
                     f"sequence {self.next_seq}")
            self.stats.resets += 1
            self._start()

    # ---- records -----------------------------------------------------------------------

    def _take(self, packets: list[P.Packet]) -> None:
        for pk in packets:
            if pk.type != P.Msg.TRIAL or self.deaf:
                continue
            rec = P.parse(pk)
            if rec.seq >= self.next_seq:
                self.held[rec.seq] = rec

    def _commit(self) -> None:
        batch = []
        while self.next_seq in self.held:
            rec = self.held.pop(self.next_seq)
            batch.append(rec)
            self.next_seq += rec.count
            if rec.kind != P.RecordKind.OVERFLOW:
                self.replay_from = rec.window + 1
        if not batch:
            return
        self.store.commit(batch, self.labels, {"next_window": str(self.window),
                                                "target": self.cfg.target})
        self.stats.records += len(batch)
        for rec in batch:
            if rec.kind == P.RecordKind.OVERFLOW:
                self.stats.overflow_dropped += rec.count
                self.log(f"device ring overflowed: {rec.count} records dropped from {rec.seq}")
            elif rec.kind == P.RecordKind.END:
                self.ended = True
                self.stats.ended = "battery"
                self.store.commit([], None, {"ended": "battery"})

    def _end_held(self) -> bool:
        return any(r.kind == P.RecordKind.END for r in self.held.values())

    def _sync(self) -> None:
        """Commit what is in order, acknowledge it, take what the device re-sends; repeat."""
        assert self.link is not None
        for _ in range(64):
            self._commit()
            got = self.link.request(P.Msg.TRIAL_ACK, P.trial_ack_payload(self.next_seq),
                                    until=P.Msg.ERROR)
            if got and got[-1].type == P.Msg.ERROR and \
                    P.parse(got[-1]).code == P.ErrorCode.NO_TRIAL:
                raise DeviceRejected("the device has no trial running", "restart it")
            before = self.next_seq
            self.stats.resent += sum(p.type == P.Msg.TRIAL for p in got)
            self._take(got)
            self._commit()
            if self.next_seq == before:
                return

    # ---- windows -----------------------------------------------------------------------

    def _send_window(self) -> None:
        assert self.link is not None
        data = np.ascontiguousarray(self.windows[self.window % len(self.windows)],
                                    dtype=np.int8).tobytes()
        off = 0
        while off < len(data):
            chunk = data[off:off + P.WINDOW_CHUNK]
            try:
                got = self.link.request(P.Msg.WINDOW, P.window_payload(self.window, off, chunk),
                                        until=P.Msg.ACK)
            except DeviceRejected as exc:
                if "INPUT_RANGE" in exc.problem:
                    off = 0  # the window's start was lost: send it again
                    continue
                raise
            self._take(got)
            off += len(chunk)

    def _fault(self, kind: str) -> None:
        assert self.link is not None
        self.stats.faults.append(f"{self.window}:{kind}")
        self.log(f"fault at window {self.window}: {kind}")
        if kind == "disconnect":
            self._close()
            time.sleep(0.3)
            self._reconnect("injected disconnect")
        elif kind == "reset":
            self.link.send(P.Msg.RESET, 0xFFFE)
        elif kind == "corrupt":
            self.link.port.armed = True
        elif kind.startswith("deaf"):
            self.deaf = int(kind.split(":")[1])

    def run(self) -> TrialStats:
        """Run until the recording (or duration) is over or the battery browns out."""
        t0 = time.monotonic()
        try:
            self._open(self.cfg.connect_timeout)
            self._start()
            due = time.monotonic()
            n = len(self.windows)
            while not self.ended:
                if self.cfg.duration_s is None and self.window >= n:
                    break
                if self.cfg.duration_s is not None and \
                        time.monotonic() - t0 >= self.cfg.duration_s:
                    self.stats.ended = "duration"
                    break
                if self.window in self.faults:
                    self._fault(self.faults.pop(self.window))
                time.sleep(max(0.0, due - time.monotonic()))
                due = max(due + self.cfg.period_s, time.monotonic() - self.cfg.period_s)
                try:
                    self._send_window()
                    self.window += 1
                    self.stats.windows_sent += 1
                    if self.deaf:
                        self.deaf -= 1
                    elif self.window % self.cfg.batch == 0 or self._end_held():
                        self._sync()
                except DeviceReset:
                    self.log(f"device reset: restarting the trial at sequence {self.next_seq}")
                    self.stats.resets += 1
                    self._start()
                except DeviceRejected as exc:
                    if "NO_TRIAL" not in exc.problem:
                        raise
                    try:  # the trial ended on the device (brown-out): collect the END record
                        self._sync()
                    except DeviceRejected:  # no trial at all: the device reset unseen
                        self.stats.resets += 1
                        self._start()
                except (PortError, DeviceTimeout) as exc:
                    self._reconnect(str(exc.problem))
            with contextlib.suppress(DeviceReset):
                self._sync()
            if self.link is not None:
                self.link.request(P.Msg.TRIAL_STOP)
        finally:
            self.store.commit([], None, {"next_window": str(self.window)})
            self._close()
            self.store.close()
        self.stats.seconds = time.monotonic() - t0
        return self.stats


def check_accounting(db_path: Path) -> dict:
    """Every sequence number from 0 to the last: stored once, or inside an OVERFLOW range."""
    db = sqlite3.connect(db_path)
    rows = db.execute("SELECT seq, count, kind FROM records ORDER BY seq").fetchall()
    db.close()
    covered: dict[int, int] = {}
    for seq, count, _ in rows:
        for s in range(seq, seq + count):
            covered[s] = covered.get(s, 0) + 1
    top = max(covered) + 1 if covered else 0
    missing = [s for s in range(top) if s not in covered]
    dup = [s for s, c in covered.items() if c > 1]
    dropped = sum(c for _, c, k in rows if k == "overflow")
    return {"sequence_numbers": top, "records": len(rows), "missing": missing,
            "duplicated": dup, "overflow_dropped": dropped}

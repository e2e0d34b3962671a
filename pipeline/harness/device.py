"""The protocol's operations on one device: handshake, upload, infer, battery, reset."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from pipeline import protocol as P
from pipeline.harness.errors import BundleMismatch, DeviceRejected, DeviceTimeout
from pipeline.harness.link import NAK_CODES, Link


@dataclass(frozen=True)
class Inference:
    stages: tuple[P.Stage, ...]
    done: P.Done
    conflicts: tuple[int, ...] = ()  # stages that came twice with different scores


class Device:
    def __init__(self, link: Link, stage_cost_s: list[float] | None = None) -> None:
        """`stage_cost_s`: each stage's expected time on the device (the stage table's cost),
        which sizes the INFER timeouts; None: the link's ceiling until round trips are seen."""
        self.link = link
        self.info: P.Info | None = None
        self.stage_cost_s = stage_cost_s

    def hello(self) -> P.Info:
        """HELLO with the link's session: the device adopts it and answers INFO."""
        self.link.established = False  # the reply to HELLO is the first of the session
        (pk,) = self.link.request(P.Msg.HELLO, P.hello_payload(self.link.session),
                                  until=P.Msg.INFO, compute_s=0.05, reply_bytes=160)[-1:]
        if pk.type != P.Msg.INFO or pk.session != self.link.session:
            raise DeviceRejected(f"HELLO answered with {pk.type:#x} (session {pk.session})",
                                 "flash ped firmware built from this checkout")
        self.link.established = True
        self.info = P.parse(pk)
        return self.info

    def check_bundle(self, expected_hash: str, run_dir: str, target: str) -> P.Info:
        info = self.info or self.hello()
        if info.bundle_hash != expected_hash:
            raise BundleMismatch(
                f"the device runs model bundle {info.bundle_hash[:12]}, but {run_dir} holds "
                f"{expected_hash[:12]}",
                f"flash this run's firmware: `ped flash --dataset <name> --target {target}`",
            )
        return info

    def upload(self, x: np.ndarray) -> None:
        data = np.ascontiguousarray(x, dtype=np.int8).tobytes()
        if self.info is not None and len(data) != self.info.input_len:
            raise DeviceRejected(f"input has {len(data)} bytes, the device expects "
                                 f"{self.info.input_len}", "quantize x with the model's input "
                                 "shape")
        for off in range(0, len(data), P.INPUT_CHUNK):
            chunk = data[off:off + P.INPUT_CHUNK]
            got = self.link.request(P.Msg.INPUT, P.input_payload(off, chunk), until=P.Msg.ACK,
                                    compute_s=0.0, reply_bytes=24)
            ack = P.parse(got[-1])
            if ack.total < off + len(chunk):
                raise DeviceTimeout(f"device acknowledged {ack.total} of {off + len(chunk)} "
                                    "input bytes", "retry the sample")

    def infer(self, deadline_us: int = 0, max_stages: int = 0, threshold: int = -1,
              timeout: float | None = None) -> Inference:
        """One INFER exchange as the link delivers it (STAGE frames may be missing)."""
        got = self.link.request(P.Msg.INFER, P.infer_payload(deadline_us, max_stages, threshold),
                                until=P.Msg.DONE, timeout=timeout,
                                compute_s=self.compute_s(deadline_us, max_stages),
                                reply_bytes=self.reply_bytes())
        stages = tuple(P.parse(p) for p in got if p.type == P.Msg.STAGE)
        done = P.parse(got[-1])
        return Inference(stages, done)

    def compute_s(self, deadline_us: int = 0, max_stages: int = 0) -> float | None:
        """The device's expected time for an INFER: the stage table's cost of the stages it
        may run, capped by the deadline; None without a stage table."""
        if self.stage_cost_s is None:
            return None
        cost = self.stage_cost_s[:max_stages] if max_stages else self.stage_cost_s
        total = sum(cost)
        return min(total, deadline_us * 1e-6) if deadline_us else total

    def reply_bytes(self) -> int:
        """Bytes of a full INFER reply: a STAGE frame per stage and the DONE frame."""
        n_stages = self.info.n_stages if self.info else 8
        n_classes = self.info.n_classes if self.info else 32
        return n_stages * (13 + 4 * n_classes + 16) + 30

    def input_frames(self, x: np.ndarray) -> tuple[bytes, list[int]]:
        """The INPUT frames of x and their seqs, for sending ahead of an INFER without waiting
        for the ACKs (which must all come back: see infer_complete)."""
        data = np.ascontiguousarray(x, dtype=np.int8).tobytes()
        if self.info is not None and len(data) != self.info.input_len:
            raise DeviceRejected(f"input has {len(data)} bytes, the device expects "
                                 f"{self.info.input_len}", "quantize x with the model's input "
                                 "shape")
        link = self.link
        offsets = range(0, len(data), P.INPUT_CHUNK)
        seqs = [link.next_seq() for _ in offsets]
        frames = b"".join(
            P.encode(P.Msg.INPUT, seq, P.input_payload(off, data[off:off + P.INPUT_CHUNK]),
                     link.session) for seq, off in zip(seqs, offsets, strict=True))
        return frames, seqs

    def infer_complete(self, deadline_us: int = 0, max_stages: int = 0, threshold: int = -1,
                       attempts: int = 16, merge: bool = True,
                       preload: tuple[bytes, list[int]] | None = None) -> Inference | None:
        """INFER until every stage that DONE reports has its STAGE frame; None after
        `attempts` tries. The input stays on the device, so a try costs one inference.

        `merge`: frames of different tries count together (valid for deterministic runs: no
        deadline). A stage that comes twice with different scores is kept in `conflicts`,
        so the caller can report it (the device answered the same input two ways).
        `preload`: INPUT frames (and their seqs) written just before the first INFER, in the
        same write: one round trip per sample. The device handles frames in order, but a lost
        INPUT chunk would leave the previous sample's bytes in its buffer, so that try counts
        only if every chunk's ACK came back; otherwise it is thrown away and DeviceRejected
        (INPUT_INCOMPLETE) asks the caller to upload chunk by chunk.
        Raises DeviceRejected (e.g. INPUT_INCOMPLETE: upload again), DeviceReset, PortError.
        """
        link = self.link
        payload = P.infer_payload(deadline_us, max_stages, threshold)
        compute = self.compute_s(deadline_us, max_stages)
        nbytes = len(payload) + 16 + self.reply_bytes()
        stages: dict[int, P.Stage] = {}
        conflicts: set[int] = set()
        done: P.Done | None = None
        silent = 0  # consecutive tries with no DONE: the wait doubles each time
        for _ in range(attempts):
            seq = link.next_seq()
            wait = min(link.timer.ceiling_s, link.timer.timeout(P.Msg.INFER, compute, nbytes)
                       * (2 ** silent))
            t0 = time.monotonic()
            frames: list[P.Packet] = []
            if preload is not None:
                link.send(P.Msg.INFER, seq, payload, before=preload[0])
                acks = set(preload[1])
                got = link.receive(seq, P.Msg.DONE, t0 + wait, sink=frames, also=acks)
                acked = {pk.seq for pk in frames if pk.type == P.Msg.ACK}
                preload = None
                if not acks <= acked:  # a chunk may be missing: nothing of this try counts
                    link.stats.retries += 1
                    raise DeviceRejected("the device did not acknowledge every INPUT chunk sent "
                                         "ahead of INFER (INPUT_INCOMPLETE)", "upload again")
                frames = [pk for pk in frames if pk.seq == seq]
            else:
                link.send(P.Msg.INFER, seq, payload)
                got = link.receive(seq, P.Msg.DONE, t0 + wait, sink=frames)
            if got and got[-1].seq != seq:  # NAK: the INFER arrived damaged
                link.stats.retries += 1
                continue
            if got and got[-1].type == P.Msg.ERROR:
                err = P.parse(got[-1])
                if err.code in NAK_CODES:
                    link.stats.retries += 1
                    continue
                raise DeviceRejected(f"device refused INFER: {getattr(err.code, 'name', err.code)}"
                                     f" (detail {err.detail})", "upload the input again")
            if not merge:
                stages.clear()
                done = None
            for pk in frames:
                if pk.type == P.Msg.STAGE:
                    st = P.parse(pk)
                    old = stages.get(st.stage)
                    if old is not None and old.scores != st.scores:
                        conflicts.add(st.stage)
                    stages.setdefault(st.stage, st)
            if got:
                done = P.parse(got[-1])
                silent = 0
            else:
                silent += 1
                if silent > link.retries:
                    raise DeviceTimeout(f"no DONE from {link.url} for {silent} INFER tries",
                                        "check the device is running ped firmware")
            if done is not None and all(k in stages for k in range(1, done.stages + 1)):
                if len(frames) == done.stages + 1 and not conflicts:
                    link.timer.observe(P.Msg.INFER, time.monotonic() - t0)
                return Inference(tuple(stages[k] for k in range(1, done.stages + 1)), done,
                                 tuple(sorted(conflicts)))
            link.stats.retries += 1
            link.stats.incomplete += 1
        return None

    def battery(self, permille: int, drain: int = 0) -> None:
        payload = P.battery_payload(permille) + (drain.to_bytes(4, "little") if drain else b"")
        self.link.request(P.Msg.BATTERY, payload)

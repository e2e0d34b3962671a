"""The protocol's operations on one device: handshake, upload, infer, battery, reset."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipeline import protocol as P
from pipeline.harness.errors import BundleMismatch, DeviceRejected, DeviceTimeout
from pipeline.harness.link import Link


@dataclass(frozen=True)
class Inference:
    stages: tuple[P.Stage, ...]
    done: P.Done


class Device:
    def __init__(self, link: Link) -> None:
        self.link = link
        self.info: P.Info | None = None

    def hello(self) -> P.Info:
        """HELLO with the link's session: the device adopts it and answers INFO."""
        self.link.established = False  # the reply to HELLO is the first of the session
        (pk,) = self.link.request(P.Msg.HELLO, P.hello_payload(self.link.session),
                                  until=P.Msg.INFO)[-1:]
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
            got = self.link.request(P.Msg.INPUT, P.input_payload(off, chunk), until=P.Msg.ACK)
            ack = P.parse(got[-1])
            if ack.total < off + len(chunk):
                raise DeviceTimeout(f"device acknowledged {ack.total} of {off + len(chunk)} "
                                    "input bytes", "retry the sample")

    def infer(self, deadline_us: int = 0, max_stages: int = 0, threshold: int = -1,
              timeout: float | None = None) -> Inference:
        got = self.link.request(P.Msg.INFER, P.infer_payload(deadline_us, max_stages, threshold),
                                until=P.Msg.DONE, timeout=timeout)
        stages = tuple(P.parse(p) for p in got if p.type == P.Msg.STAGE)
        done = P.parse(got[-1])
        return Inference(stages, done)

    def battery(self, permille: int, drain: int = 0) -> None:
        payload = P.battery_payload(permille) + (drain.to_bytes(4, "little") if drain else b"")
        self.link.request(P.Msg.BATTERY, payload)

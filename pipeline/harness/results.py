"""Append-only per-sample results: `hil/<target>/results.jsonl`, resumable.

Each line is one sample's complete record, written with one `write` and flushed to the OS
before the next sample starts (a killed harness loses nothing); the file is fsynced at most
every `sync_s` (0.25 s) and on close, so a power loss costs at most that much work, not an
fsync per sample. A run that is interrupted leaves whole lines only (a torn last line is
detected and dropped on reopen), and resuming skips the sample ids already present, so no
sample is lost or counted twice. `append` is safe from several threads.
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path


class ResultsLog:
    def __init__(self, path: Path, sync_s: float = 0.25) -> None:
        self.path, self.sync_s = path, sync_s
        self._lock = threading.Lock()
        self._synced = time.monotonic()
        path.parent.mkdir(parents=True, exist_ok=True)
        self.records: dict[str, dict] = {}
        if path.is_file():
            good = []
            for line in path.read_text().splitlines():
                try:
                    rec = json.loads(line)
                except json.JSONDecodeError:
                    continue  # a torn line from an interrupted write
                if rec.get("id") in self.records:
                    continue
                self.records[rec["id"]] = rec
                good.append(line)
            path.write_text("".join(g + "\n" for g in good))  # drop torn/duplicate lines

    def has(self, sample_id: str) -> bool:
        return sample_id in self.records

    def append(self, record: dict) -> None:
        line = json.dumps(record, separators=(",", ":")) + "\n"
        with self._lock:
            if record["id"] in self.records:
                raise ValueError(f"sample {record['id']} is already recorded")
            with self.path.open("a") as fh:
                fh.write(line)
                fh.flush()
                if time.monotonic() - self._synced >= self.sync_s:
                    os.fsync(fh.fileno())
                    self._synced = time.monotonic()
            self.records[record["id"]] = record

    def sync(self) -> None:
        """fsync what was appended (call when a run ends)."""
        with self._lock, self.path.open("a") as fh:
            os.fsync(fh.fileno())
            self._synced = time.monotonic()

    def __len__(self) -> int:
        return len(self.records)

"""Append-only per-sample results: `hil/<target>/results.jsonl`, resumable.

Each line is one sample's complete record, written with one `write` and flushed to disk
(fsync) before the next sample starts. A run that is interrupted leaves whole lines only (a
torn last line, from a crash mid-write, is detected and dropped on reopen), and resuming skips
the sample ids already present, so no sample is lost or counted twice.
"""

from __future__ import annotations

import json
import os
from pathlib import Path


class ResultsLog:
    def __init__(self, path: Path) -> None:
        self.path = path
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
        if record["id"] in self.records:
            raise ValueError(f"sample {record['id']} is already recorded")
        line = json.dumps(record, separators=(",", ":")) + "\n"
        with self.path.open("a") as fh:
            fh.write(line)
            fh.flush()
            os.fsync(fh.fileno())
        self.records[record["id"]] = record

    def __len__(self) -> int:
        return len(self.records)

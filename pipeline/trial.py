"""`ped trial` and `ped trial-report`: a field trial on a board and its report.

The recording is the run's test split (quantized with the model's input scale) or any CSV of
samples (one window per row, or rows of samples cut into windows of the model's input
length; a `label` column is ground truth). Windows are streamed at the sensor's rate:
`hop / sample_rate_hz` of the recipe (the watch recipe: one window a second), or `--period`.
Everything lands in `<run>/trial/<target>/trial.sqlite`; the report writes `report.md` and
PNG plots next to it.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import numpy as np

from pipeline.errors import PedError

DEFAULT_PERIOD_S = 0.1  # recordings with no sample rate (images): ten windows a second


def trial_dir(run_root: Path, target: str) -> Path:
    return run_root / "trial" / target


def load_csv(path: Path, input_len: int) -> tuple[np.ndarray, np.ndarray | None]:
    """Windows (int8, one per row of input_len values) and labels from a CSV recording."""
    import csv

    with path.open() as f:
        rows = list(csv.reader(f))
    if not rows:
        raise PedError(f"{path} is empty", "give a CSV with one sample or window per row")
    header = rows[0]
    has_header = any(not _is_number(c) for c in header)
    body = rows[1:] if has_header else rows
    label_col = header.index("label") if has_header and "label" in header else None
    values, labels = [], []
    for r in body:
        if label_col is not None:
            labels.append(int(float(r[label_col])))
            r = r[:label_col] + r[label_col + 1:]
        values.append([float(v) for v in r])
    data = np.asarray(values)
    if data.shape[1] != input_len:  # rows of samples: cut them into windows
        flat = data.reshape(-1)
        n = len(flat) // input_len
        if n == 0:
            raise PedError(f"{path} holds {len(flat)} values, less than one window "
                           f"({input_len})", "record longer")
        data = flat[:n * input_len].reshape(n, input_len)
        labels = labels[::max(1, len(labels) // n)][:n] if labels else []
    x = np.clip(np.round(data), -128, 127).astype(np.int8)
    return x, (np.asarray(labels) if labels else None)


def _is_number(s: str) -> bool:
    try:
        float(s)
        return True
    except ValueError:
        return False


def step_trial(ctx, target: str, port: str | None, duration: float | None,
               csv: Path | None = None, period: float | None = None,
               drain: int | None = None) -> dict:
    """Run a field trial of the run's model on `target`; returns the trial summary."""
    from pipeline.data.prepare import Dataset
    from pipeline.harness import targets
    from pipeline.harness.trial import TrialConfig, TrialRunner, check_accounting
    from pipeline.quantize import bundle_hash, host_expectation, load_stage_table
    from pipeline.steps import EMULATED_TARGETS, step_build

    run = ctx.run
    if port is None and target not in EMULATED_TARGETS:
        raise PedError(f"'{target}' is a real board: the harness cannot start it",
                       f"flash it (`ped flash --target {target}`) and pass --port /dev/ttyACM0")
    image = None
    if port is None:
        step_build(ctx, target)
        image = run.path("bin", target, "program" if target == "native" else "firmware.elf")
    stages, _ = load_stage_table(run.path("tflite"))
    ds = Dataset.load(run.path("data", "dataset"))
    if csv is not None:
        windows, labels = load_csv(csv, int(np.prod(ds.meta["input_shape"])))
    else:
        windows, _ = host_expectation(stages, ds.x["test"])
        windows = windows.reshape(len(windows), -1)
        labels = ds.y["test"]
    if period is None:
        from pipeline.data.recipe import load_recipe

        try:
            hop = load_recipe(ds.meta["name"]).sequence.hop
        except (PedError, KeyError):
            hop = 0  # imported data: no recipe
        rate = ds.meta.get("sample_rate_hz") or 0.0
        period = hop / rate if rate and hop else DEFAULT_PERIOD_S
    out = trial_dir(run.root, target)
    cfg = TrialConfig(url=port or "", target=target, db_path=out / "trial.sqlite",
                      period_s=period, duration_s=duration,
                      battery=(1000, drain) if drain is not None else None,
                      expected_hash=bundle_hash(run.path("tflite")), run_dir=str(run.root))
    if port is None:
        with targets.running(target, image) as t:
            cfg.url, cfg.power = t.url, t.power
            stats = TrialRunner(cfg, windows, labels, log=ctx.log).run()
    else:
        stats = TrialRunner(cfg, windows, labels, log=ctx.log).run()
    summary = {"stats": stats.__dict__, "accounting": check_accounting(cfg.db_path),
               "period_s": period}
    summary["accounting"]["missing"] = summary["accounting"]["missing"][:20]
    (out / "session.json").write_text(json.dumps(summary, indent=2))
    return summary


def trial_report(out: Path) -> Path:
    """report.md + plots from `out`/trial.sqlite; returns the report's path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    db_path = out / "trial.sqlite"
    if not db_path.is_file():
        raise PedError(f"no trial database at {db_path}",
                       "run `ped trial --dataset <name> --target <target>` first")
    db = sqlite3.connect(db_path)
    rows = db.execute("SELECT seq, kind, count, t_us, window, stage, class, margin, reason, "
                      "battery, cycles, label, host_time FROM records ORDER BY seq").fetchall()
    meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
    db.close()
    from pipeline.harness.trial import check_accounting

    acct = check_accounting(db_path)
    win = [r for r in rows if r[1] != "overflow"]
    if not win:
        raise PedError(f"{db_path} holds no window records", "run the trial longer")
    t0 = win[0][12]
    t = np.array([r[12] - t0 for r in win])  # host clock at commit (per batch)
    wi = np.array([r[4] for r in win])  # window index: the recording's time axis
    stage = np.array([r[5] for r in win])
    cls = np.array([r[6] for r in win])
    label = np.array([-1 if r[11] is None else r[11] for r in win])
    battery = np.array([r[9] for r in win])
    reasons = [r[8] for r in win]
    has_truth = bool((label >= 0).any())
    lines = [f"# Field trial: {meta.get('target', out.name)}", "",
             f"- window records: {len(win)}; sequence numbers 0..{acct['sequence_numbers'] - 1}"
             f"; missing {len(acct['missing'])}, duplicated {len(acct['duplicated'])}, "
             f"dropped by ring overflow {acct['overflow_dropped']}",
             f"- ended by: {meta.get('ended', 'end of recording / duration')}",
             f"- duration (host clock): {t[-1]:.1f} s", ""]
    fig, ax = plt.subplots(4, 1, figsize=(9, 11))
    ax[0].plot(wi, cls, ".", label="decision")
    if has_truth:
        ok = label >= 0
        ax[0].plot(wi[ok], label[ok], "x", alpha=0.4, label="ground truth")
        correct = cls[ok] == label[ok]
        lines += [f"- accuracy vs ground truth: {100 * correct.mean():.1f} % "
                  f"({int(correct.sum())}/{int(ok.sum())})", ""]
    ax[0].set(title="decisions over time", xlabel="window", ylabel="class")
    ax[0].legend()
    ks, counts = np.unique(stage, return_counts=True)
    ax[1].bar(ks, counts)
    ax[1].set(title="stage reached", xlabel="stage", ylabel="windows", xticks=ks)
    lines += ["| stage reached | windows | share | accuracy |", "|---|---|---|---|"]
    accs = []
    for k, c in zip(ks, counts, strict=True):
        sel = (stage == k) & (label >= 0)
        acc = f"{100 * (cls[sel] == label[sel]).mean():.1f} %" if sel.any() else "-"
        accs.append((cls[sel] == label[sel]).mean() if sel.any() else np.nan)
        lines.append(f"| {k} | {c} | {100 * c / len(stage):.1f} % | {acc} |")
    ax[2].bar(ks, accs)
    ax[2].set(title="accuracy by stage reached", xlabel="stage", ylim=(0, 1), xticks=ks)
    ax[3].plot(wi, battery)
    ax[3].set(title="battery", xlabel="window", ylabel="permille")
    fig.tight_layout()
    fig.savefig(out / "trial.png", dpi=80)
    plt.close(fig)
    stops = {r: reasons.count(r) for r in sorted(set(reasons))}
    misses = sum(s == 0 and r in ('deadline', 'admission') for s, r in zip(stage, reasons,
                                                                          strict=True))
    lines += ["", "| stop reason | windows |", "|---|---|"]
    lines += [f"| {r} | {n} |" for r, n in stops.items()]
    lines += ["", f"- deadline misses (no stage finished within the window's deadline): "
              f"{misses}; stopped by the deadline or admission control: "
              f"{stops.get('deadline', 0) + stops.get('admission', 0)}",
              f"- battery: {battery[0]} -> {battery[-1]} permille", "", "![trial](trial.png)", ""]
    report = out / "report.md"
    report.write_text("\n".join(lines))
    return report

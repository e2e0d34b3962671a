"""`ped report`: one markdown report, plots and metrics.json for a dataset's run.

Reads only finished artifacts: data/dataset.json (split sizes, class names),
teacher/metrics.json, students/metrics.json, tflite/eval.json and stages.json and, per HIL
target, hil/<target>/summary.json, sweep.json and sweep.jsonl. Missing parts are reported as
missing, never invented. Every accuracy comes with its test-split size and a 95% Wilson
interval (`pipeline.stats`); a split under 100 samples is flagged.
"""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from pipeline.stats import accuracy_cell, split_note


def _load(path: Path) -> dict | list | None:
    return json.loads(path.read_text()) if path.is_file() else None


def _pct(v) -> str:
    return "–" if v is None else f"{100 * v:.1f}"


def test_split_size(run_root: Path) -> int | None:
    """Samples in the run's test split (data/dataset.json), None before `ped data`."""
    meta = _load(run_root / "data" / "dataset.json")
    return int(sum(meta["counts"]["test"])) if meta else None


def stage0_answer(run_root: Path) -> dict | None:
    """The "stage 0" answer (no stage completed, e.g. a deadline shorter than stage 1): the
    stage table's default class, which `ped quantize` sets to the most frequent training
    class; with its name, training count and accuracy on the test split."""
    meta = _load(run_root / "data" / "dataset.json")
    table = _load(run_root / "tflite" / "stages.json")
    if not (meta and table):
        return None
    c = int(table["default_class"])
    train, test = meta["counts"]["train"], meta["counts"]["test"]
    return {"class": c, "name": meta["class_names"][c], "train_count": int(train[c]),
            "train_total": int(sum(train)), "is_prior": train[c] == max(train),
            "test_accuracy": test[c] / sum(test) if sum(test) else None,
            "test_n": int(sum(test))}


def stage0_in_sweep(run_root: Path, target: str) -> dict:
    """Deadline-sweep answers given at stage 0, and how many were the default class."""
    path = run_root / "hil" / target / "sweep.jsonl"
    recs = [json.loads(ln) for ln in path.read_text().splitlines() if ln.strip()] \
        if path.is_file() else []
    zero = [r["done"]["class"] for r in recs if r["done"]["stages"] == 0]
    return {"answers": len(zero), "classes": sorted(set(zero))}


def plot_accuracy_vs_cost(distill: dict, teacher: dict, out: Path) -> Path:
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for key, label, style in (("bdistil", "B-DISTIL", "o-"), ("resched", "RESCHED", "s--"),
                              ("no_resched", "NO-RESCHED (oracle)", "^:")):
        rows = distill.get(key) or []
        if rows:
            ax.plot([r["cumulative_macs"] for r in rows],
                    [100 * r["test_accuracy"] for r in rows], style, label=label)
    ax.axhline(100 * teacher["test_accuracy"], color="k", lw=1,
               label=f"teacher ({teacher['macs']:,} MACs)")
    ax.set_xscale("log")
    ax.set_xlabel("cumulative MACs of the ensemble after stage k")
    ax.set_ylabel("test accuracy (%)")
    ax.set_title(f"{distill.get('dataset', '')}: accuracy vs cumulative cost (float)")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    plt.close(fig)
    return out


def plot_sweep(sweeps: dict[str, list[dict]], out_acc: Path, out_stage: Path) -> list[Path]:
    paths = []
    for out, key, ylabel in ((out_acc, "accuracy", "device accuracy (%)"),
                             (out_stage, "mean_stage", "mean stages completed")):
        fig, ax = plt.subplots(figsize=(6.4, 4.2))
        for target, rows in sweeps.items():
            rows = [r for r in rows if r[key] is not None]  # a point with no sample
            xs = [r["deadline_us"] / 1000 for r in rows]
            ys = [100 * r[key] if key == "accuracy" else r[key] for r in rows]
            ax.plot(xs, ys, "o-", label=target)
        ax.set_xscale("log")
        ax.set_xlabel("deadline (ms; instruction time on QEMU)")
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3)
        ax.legend()
        fig.tight_layout()
        fig.savefig(out, dpi=120)
        plt.close(fig)
        paths.append(out)
    return paths


def write_report(run_root: Path) -> list[Path]:
    out = run_root / "report"
    out.mkdir(parents=True, exist_ok=True)
    teacher = _load(run_root / "teacher" / "metrics.json")
    distill = _load(run_root / "students" / "metrics.json")
    quant = _load(run_root / "tflite" / "eval.json")
    hil = {p.parent.name: _load(p) for p in sorted((run_root / "hil").glob("*/summary.json"))}
    sweeps = {t: s for t in hil if (s := _load(run_root / "hil" / t / "sweep.json"))}
    name = run_root.name
    n_test = test_split_size(run_root)
    prior = stage0_answer(run_root)
    lines = [f"# ped report: {name}", "", f"Accuracies in %; {split_note(n_test)}.", ""]
    files: list[Path] = []
    metrics: dict = {"dataset": name, "test_samples": n_test, "stage0": prior,
                     "teacher": teacher, "distill": distill,
                     "quantize": quant, "hil": hil, "sweep": sweeps}
    if teacher:
        lines += ["## Teacher", "",
                  f"test accuracy {accuracy_cell(teacher['test_accuracy'], n_test)}%, "
                  f"{teacher['params']:,} params, {teacher['macs']:,} MACs", ""]
    if distill and teacher:
        files.append(plot_accuracy_vs_cost(distill, teacher, out / "accuracy_vs_cost.png"))
        lines += ["## Distillation (float, test split)", "",
                  "| stage | cum. MACs | B-DISTIL % | RESCHED % | NO-RESCHED % (its MACs) |",
                  "|---|---|---|---|---|"]
        res = {r["stage"]: r for r in distill.get("resched", [])}
        nor = {r["stage"]: r for r in distill.get("no_resched", [])}
        for r in distill["bdistil"]:
            k = r["stage"]
            lines.append(f"| {k} | {r['cumulative_macs']:,} | "
                         f"{accuracy_cell(r['test_accuracy'], n_test)} | "
                         f"{accuracy_cell(res.get(k, {}).get('test_accuracy'), n_test)} | "
                         f"{accuracy_cell(nor.get(k, {}).get('test_accuracy'), n_test)}"
                         + (f" ({nor[k]['cumulative_macs']:,})" if k in nor else "") + " |")
        lines += ["", "![accuracy vs cost](accuracy_vs_cost.png)", ""]
    if quant:
        lines += ["## Int8 on the host", "",
                  "| stage | float % | LiteRT-REF % | TFLM % | REF≠TFLM elements |",
                  "|---|---|---|---|---|"]
        nq = quant.get("n_samples")
        for k in range(len(quant["float"])):
            lines.append(f"| {k + 1} | {accuracy_cell(quant['float'][k], nq)} | "
                         f"{accuracy_cell(quant['litert_ref'][k], nq)} | "
                         f"{accuracy_cell(quant['tflm'][k], nq)} | "
                         f"{quant['litert_ref_vs_tflm_diff_elements'][k]}/"
                         f"{quant['int8_output_elements'][k]} |")
        lines.append("")
    for target, s in hil.items():
        lines += [f"## Device: {target}", ""]
        mism = s.get("mismatched", s["samples"] - s["bit_exact_samples"])
        verdict = (f"bit-exact: {s['bit_exact_samples']}/{s['samples']} samples, all stages"
                   if s["bit_exact_samples"] == s["samples"] else
                   f"{s['bit_exact_samples']} of {s['samples']} samples bit-exact; "
                   f"{mism} mismatched" + (f" (first: {', '.join(s['first_mismatches'])})"
                                           if mism else "") +
                   f"; {s.get('incomplete', 0)} incomplete (frames lost on every try, "
                   "not compared)")
        unit = cost_unit(target)
        lines += [f"**{verdict}**", "", "| stage | device accuracy % | host TFLM % | median "
                  f"{unit} |", "|---|---|---|---|"]
        for k, a in enumerate(s["device_accuracy"]):
            host = quant["tflm"][k] if quant else None
            lines.append(f"| {k + 1} | {accuracy_cell(a, s['samples'])} | "
                         f"{accuracy_cell(host, quant.get('n_samples') if quant else None)} | "
                         f"{s['median_cycles'][k]:,.0f} |")
        lines += ["", f"Device: {split_note(s['samples'], 'samples streamed')}.", ""]
        if target.startswith("qemu"):
            lines += ["On QEMU the unit is executed instructions (`-icount`), about the cycles "
                      "of a zero-wait-state core, not a real Cortex-M's cycles.", ""]
    if sweeps:
        files += plot_sweep(sweeps, out / "accuracy_vs_deadline.png",
                            out / "stage_vs_deadline.png")
        lines += ["## Deadline sweep", "", "![accuracy vs deadline](accuracy_vs_deadline.png)",
                  "![stage vs deadline](stage_vs_deadline.png)", ""]
        for target, rows in sweeps.items():
            n = {r["n"] for r in rows}
            lines += [f"### {target}", "",
                      f"Each point: {', '.join(map(str, sorted(n)))} samples, a stratified "
                      "(seeded) sample of the test split with every class.", "",
                      "| deadline µs | samples | accuracy % | mean stage | stop reasons |",
                      "|---|---|---|---|---|"]
            for r in rows:
                reasons = ", ".join(f"{k} {v}" for k, v in r["reasons"].items() if v)
                stage = f"{r['mean_stage']:.2f}" if r["mean_stage"] is not None else "-"
                lines.append(f"| {r['deadline_us']:,} | {r['n']} | "
                             f"{accuracy_cell(r['accuracy'], r['n'])} | {stage} | {reasons} |")
            n_sweep = max((r["n"] for r in rows), default=0)
            lines += ["", f"Sweep: {split_note(n_sweep, 'samples per deadline')}."]
            zero = stage0_in_sweep(run_root, target)
            if zero["answers"] and prior:
                same = zero["classes"] == [prior["class"]]
                lines.append(f"{zero['answers']} sweep answers came at stage 0 (deadline "
                             f"shorter than stage 1): "
                             + (f"all class {prior['class']} ('{prior['name']}'), the prior."
                                if same else f"classes {zero['classes']}, NOT the prior "
                                f"{prior['class']}: the firmware's default class is wrong."))
            lines.append("")
    if prior:
        lines += ["## Stage 0 (no stage completed)", "",
                  f"When the deadline is shorter than stage 1 (or the battery is already low) "
                  f"the device answers the class prior: class {prior['class']} "
                  f"('{prior['name']}'), the most frequent training class "
                  f"({prior['train_count']:,} of {prior['train_total']:,} training samples)"
                  + ("" if prior["is_prior"] else
                     " -- NOT the most frequent training class: the stage table is wrong")
                  + f"; on the test split it would score "
                  f"{accuracy_cell(prior['test_accuracy'], prior['test_n'])}%.", ""]
    missing = [n for n, v in (("teacher", teacher), ("distill", distill), ("quantize", quant))
               if v is None] + ([] if hil else ["hil"])
    if missing:
        lines += ["## Not run yet", "", ", ".join(missing), ""]
    md = out / "report.md"
    md.write_text("\n".join(lines))
    mj = out / "metrics.json"
    mj.write_text(json.dumps(metrics, indent=2))
    return [md, mj, *files]


def cost_unit(target: str) -> str:
    """The unit of a target's stage costs and device timings (boards/<board>/board.toml)."""
    from pipeline.boards import load_board
    from pipeline.errors import PedError

    try:
        return load_board(target).cost_unit
    except PedError:
        return "cycles"

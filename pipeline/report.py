"""`ped report`: one markdown report, plots and metrics.json for a dataset's run.

Reads only finished artifacts: teacher/metrics.json, students/metrics.json,
tflite/eval.json and, per HIL target, hil/<target>/summary.json and sweep.json. Missing
parts are reported as missing, never invented.
"""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt


def _load(path: Path) -> dict | list | None:
    return json.loads(path.read_text()) if path.is_file() else None


def _pct(v) -> str:
    return "–" if v is None else f"{100 * v:.1f}"


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
    lines = [f"# ped report: {name}", ""]
    files: list[Path] = []
    metrics: dict = {"dataset": name, "teacher": teacher, "distill": distill,
                     "quantize": quant, "hil": hil, "sweep": sweeps}
    if teacher:
        lines += ["## Teacher", "",
                  f"test accuracy {_pct(teacher['test_accuracy'])}%, {teacher['params']:,} "
                  f"params, {teacher['macs']:,} MACs", ""]
    if distill and teacher:
        files.append(plot_accuracy_vs_cost(distill, teacher, out / "accuracy_vs_cost.png"))
        lines += ["## Distillation (float, test split)", "",
                  "| stage | cum. MACs | B-DISTIL % | RESCHED % | NO-RESCHED % |",
                  "|---|---|---|---|---|"]
        res = {r["stage"]: r for r in distill.get("resched", [])}
        nor = {r["stage"]: r for r in distill.get("no_resched", [])}
        for r in distill["bdistil"]:
            k = r["stage"]
            lines.append(f"| {k} | {r['cumulative_macs']:,} | {_pct(r['test_accuracy'])} | "
                         f"{_pct(res.get(k, {}).get('test_accuracy'))} | "
                         f"{_pct(nor.get(k, {}).get('test_accuracy'))} |")
        lines += ["", "![accuracy vs cost](accuracy_vs_cost.png)", ""]
    if quant:
        lines += ["## Int8 on the host", "",
                  "| stage | float % | LiteRT-REF % | TFLM % | REF≠TFLM elements |",
                  "|---|---|---|---|---|"]
        for k in range(len(quant["float"])):
            lines.append(f"| {k + 1} | {_pct(quant['float'][k])} | "
                         f"{_pct(quant['litert_ref'][k])} | {_pct(quant['tflm'][k])} | "
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
        lines += [f"**{verdict}**", "", "| stage | device accuracy % | host TFLM % | median "
                  "cycles |", "|---|---|---|---|"]
        for k, a in enumerate(s["device_accuracy"]):
            host = quant["tflm"][k] if quant else None
            lines.append(f"| {k + 1} | {_pct(a)} | {_pct(host)} | {s['median_cycles'][k]:,.0f} |")
        lines.append("")
        if target.startswith("qemu"):
            lines += ["Cycles on QEMU are instruction time (`-icount`), not real Cortex-M cycles.",
                      ""]
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
                lines.append(f"| {r['deadline_us']:,} | {r['n']} | {_pct(r['accuracy'])} | "
                             f"{stage} | {reasons} |")
            lines.append("")
    missing = [n for n, v in (("teacher", teacher), ("distill", distill), ("quantize", quant))
               if v is None] + ([] if hil else ["hil"])
    if missing:
        lines += ["## Not run yet", "", ", ".join(missing), ""]
    md = out / "report.md"
    md.write_text("\n".join(lines))
    mj = out / "metrics.json"
    mj.write_text(json.dumps(metrics, indent=2))
    return [md, mj, *files]

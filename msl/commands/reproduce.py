"""``msl reproduce [--out DIR] [--only STAGE ...] [--force] [--pdf]``: the paper, end to end.

Stages (each calls the packages' public functions and writes into its own folder):

* ``figures`` -- Figs. 4.1, 4.2, 5.1, 6.1 (:mod:`theory.figures`) with their measured verdicts;
* ``phase``   -- phase and bifurcation diagrams over the learning rate for f1 and f2
  (:mod:`theory.dynamics`);
* ``check``   -- Lemma 4.1 and Theorems 4.1-4.3 on the whole catalog (:mod:`proofs_check`);
* ``eos``     -- edge of stability of an MLP on scikit-learn's digits, and the gradient-
  direction slice at its end (:mod:`empirical`).

A finished stage leaves ``<stage>/summary.json``; running again skips it (``--force`` redoes
it), so an interrupted reproduction resumes where it stopped.  ``report.md`` at the top
collects every stage's claims and measurements.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path

from theory.errors import MslValueError


class StageError(MslValueError):
    """A stage name that does not exist."""


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "reproduce",
        help="reproduce the paper's figures and checks (the main job)",
        description=__doc__.split("\n\n")[0],
    )
    parser.add_argument("--out", default="msl-reproduce",
                        help="output folder (default: %(default)s)")
    parser.add_argument("--only", nargs="+", metavar="STAGE",
                        help=f"run only these stages ({', '.join(STAGES)})")
    parser.add_argument("--force", action="store_true", help="redo finished stages")
    parser.add_argument("--pdf", action="store_true", help="also write PDF figures")
    parser.set_defaults(run=run)


def _json_default(value):
    if hasattr(value, "tolist"):
        return value.tolist()
    return str(value)


def _stage_figures(out: Path, pdf: bool) -> dict:
    from theory.figures import fig_4_1, fig_4_2, fig_5_1, fig_6_1

    claims, files = [], []
    for module in (fig_4_1, fig_4_2, fig_5_1, fig_6_1):
        data = module.compute()
        files += [str(p) for p in module.plot(data, out, pdf=pdf)]
        claims += [c.as_dict() for c in module.claims(data)]
    return {"claims": claims, "files": files}


#: (catalog name, eta grid, x0 grid) of the phase stage
PHASE_SWEEPS = (
    ("f1", (0.5, 6.0, 111), (-5.0, 5.0, 80)),
    ("f2", (0.1, 3.0, 117), (-5.0, 5.0, 80)),
)
PHASE_STEPS = 2000


def _stage_phase(out: Path, pdf: bool) -> dict:
    import numpy as np

    from theory import catalog
    from theory.dynamics import plot_bifurcation, plot_class_map, save_figure, simulate
    from theory.figures._claims import Claim

    claims, files, counts = [], [], {}
    for name, (e0, e1, ne), (x0, x1, nx) in PHASE_SWEEPS:
        f = catalog.get(name)
        eta = np.linspace(e0, e1, ne)
        result = simulate(f, eta, np.linspace(x0, x1, nx), PHASE_STEPS, keep_last=32,
                          store=out / name)
        files += save_figure(plot_class_map(result, f), out / name / "class_map", pdf=pdf)
        files += save_figure(plot_bifurcation(result, f), out / name / "bifurcation", pdf=pdf)
        counts[name] = result.counts()
        threshold = float(f.threshold)
        names = result.class_names
        nonzero = np.abs(result.x0[:, 0]) > 0
        below = eta < 0.95 * threshold
        above = eta > 1.05 * threshold
        converged = float(np.mean(names[below][:, nonzero] == "converged"))
        diverged = int(np.sum(names == "diverged"))
        if f.is_stable(eta[above][0]):  # f1: Theorem 4.1
            x_eta = f.periodic_point_array(eta[above])[:, None]
            final = np.abs(result.final_state[above][:, nonzero, 0])
            on_orbit = (names[above][:, nonzero] == "periodic") & (
                result.period[above][:, nonzero] == 2) & (np.abs(final - x_eta) <= 1e-8 * x_eta)
            claims.append(Claim(
                f"Theorem 4.1, {name}", "above 2/f''(0) almost every x0 ends on +-x_eta",
                f"{on_orbit.mean():.2%} of {on_orbit.size} orbits (eta > 1.05 x threshold, "
                f"x0 != 0) are period 2 within 1e-8 of periodic_point(eta)",
                bool(on_orbit.mean() == 1.0)))
        else:  # f2: non-convex, unstable orbit
            chaotic = float(np.mean(names[above] == "chaotic"))
            claims.append(Claim(
                f"Fig. 4.1 middle, {name}", "above the threshold GD is chaotic and bounded",
                f"{chaotic:.2%} of {names[above].size} orbits chaotic, {diverged} diverged",
                chaotic > 0.95 and diverged == 0))
        claims.append(Claim(
            f"Section 4.1, {name}", "below 2/f''(0) GD converges to the minimum",
            f"{converged:.2%} of orbits with eta < 0.95 x threshold = {threshold:.4g} converge",
            converged == 1.0))
    return {"claims": [c.as_dict() for c in claims], "files": [str(p) for p in files],
            "counts": counts, "steps": PHASE_STEPS}


def _stage_check(out: Path, pdf: bool) -> dict:
    from proofs_check import check_catalog
    from theory.figures._claims import Claim

    report = check_catalog(progress=True)
    out.mkdir(parents=True, exist_ok=True)
    (out / "table.txt").write_text(report.table() + "\n")
    (out / "results.json").write_text(json.dumps(report.to_dict(), indent=1,
                                                 default=_json_default))
    claims = []
    for r in report.results:
        failed = [h.name for h in r.hypotheses if h.used_by_proof and h.status.value == "fails"]
        if r.applies:
            paper = "hypotheses hold, so the conclusion must hold"
        else:
            paper = "hypotheses fail (" + ", ".join(failed) + "): no claim is made"
        evidence = r.conclusion.evidence
        if len(evidence) > 240:  # the whole evidence is in check/results.json
            evidence = evidence[:240].rsplit(" ", 1)[0] + " ..."
        measured = (f"conclusion {r.conclusion.status.value}"
                    f"{' (certified)' if r.certified else ''}: {evidence}")
        claims.append(Claim(f"{r.claim}, {r.function}", paper, measured, bool(r.ok)))
    return {"claims": [c.as_dict() for c in claims], "files": [str(out / "table.txt")],
            "ok": report.ok}


def _stage_eos(out: Path, pdf: bool) -> dict:
    import torch

    import empirical
    from theory.figures._claims import Claim

    torch.set_num_threads(1)  # faster than 2 threads on a busy 2-core machine (measured)
    out.mkdir(parents=True, exist_ok=True)
    run = empirical.run_eos(out_dir=out / "run")  # digits, tanh MLP, MSE; resumable
    experiment = empirical.run_slice(out_dir=out / "run", progress=False)
    files = [str(empirical.plot_eos(run, out / "eos.png")),
             str(empirical.plot_slice(experiment.slice, out / "slice.png", lr=run.lr))]
    v = run.verdict
    fit = experiment.slice.fit
    claims = [
        Claim("Section 2.1, Fig. 2.1 left", "the sharpness rises to 2/eta and hovers there",
              f"sharpness {v.initial_sharpness:.3g} -> within {v.band:.0%} of 2/eta = "
              f"{v.threshold:.3g} at step {v.first_reach_step}; "
              f"{(v.fraction_in_band or 0):.0%} of {v.n_after} later measurements in the band",
              bool(v.edge_of_stability)),
        Claim("Section 2.1", "the training loss keeps decreasing after the edge is reached",
              f"loss x{(v.loss_ratio_after or float('nan')):.3g} after the reach",
              bool(v.loss_keeps_decreasing)),
        Claim("Section 3.1, Fig. 3.1", "along the gradient the loss grows subquadratically",
              f"growth exponent p = {fit.p:.3f} [{fit.p_low:.3f}, {fit.p_high:.3f}] "
              f"at step {experiment.step}; verdict {experiment.slice.verdict}",
              experiment.slice.verdict == "subquadratic"),
    ]
    return {"claims": [c.as_dict() for c in claims], "files": files,
            "eos": run.summary(), "slice": experiment.summary()}


#: stage name -> (function(out_dir, pdf) -> summary dict, one-line description)
STAGES: dict[str, tuple[Callable[[Path, bool], dict], str]] = {
    "figures": (_stage_figures, "Figs. 4.1, 4.2, 5.1, 6.1 of the theory sections"),
    "phase": (_stage_phase, "phase and bifurcation diagrams over eta for f1 and f2"),
    "check": (_stage_check, "Lemma 4.1, Theorems 4.1-4.3, (4.8) on the catalog"),
    "eos": (_stage_eos, "edge of stability and gradient-direction slice on digits"),
}


def _write_report(out: Path, summaries: dict[str, dict]) -> tuple[Path, int, int]:
    lines = ["# msl reproduce", "",
             "Each row: a claim of the paper, what this run measured, and whether they agree.",
             ""]
    agree = total = 0
    for name, summary in summaries.items():
        lines += [f"## {name}: {STAGES[name][1]}", ""]
        if summary.get("claims"):
            lines += ["| source | the paper says | measured | agrees |",
                      "| --- | --- | --- | --- |"]
            for claim in summary["claims"]:
                total += 1
                agree += bool(claim["agrees"])
                cells = [claim["source"], claim["paper"], claim["measured"],
                         "yes" if claim["agrees"] else "**no**"]
                lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
            lines.append("")
        for path in summary.get("files", []):
            rel = Path(path).relative_to(out) if Path(path).is_relative_to(out) else Path(path)
            if rel.suffix == ".png":
                lines.append(f"![{rel.stem}]({rel})")
        lines.append("")
    path = out / "report.md"
    path.write_text("\n".join(lines))
    return path, agree, total


def run(args: argparse.Namespace) -> int:
    names = list(args.only or STAGES)
    unknown = [n for n in names if n not in STAGES]
    if unknown:
        raise StageError(f"--only {' '.join(unknown)}: unknown stage(s); choose from "
                         f"{', '.join(STAGES)}")
    out = Path(args.out)
    summaries: dict[str, dict] = {}
    for name in STAGES:
        done = out / name / "summary.json"
        if name not in names:
            if done.exists():
                summaries[name] = json.loads(done.read_text())
            continue
        if done.exists() and not args.force:
            print(f"[{name}] done before; skipped (--force to redo)")
            summaries[name] = json.loads(done.read_text())
            continue
        print(f"[{name}] {STAGES[name][1]} ...", flush=True)
        start = time.perf_counter()
        summary = STAGES[name][0](out / name, args.pdf)
        summary["seconds"] = round(time.perf_counter() - start, 1)
        done.parent.mkdir(parents=True, exist_ok=True)
        done.write_text(json.dumps(summary, indent=1, default=_json_default))
        summaries[name] = json.loads(done.read_text())
        print(f"[{name}] finished in {summary['seconds']} s -> {out / name}", flush=True)
    report, agree, total = _write_report(out, summaries)
    print(f"{agree} of {total} claims of the paper agree with this run; report: {report}")
    return 0

"""Raw series of the experiments as plain files (CSV + JSON), readable without torch.

:func:`result_tables` turns a result of ``run_eos`` / ``run_lr_decay`` /
``run_slice`` / ``run_scales`` / ``run_geometry`` / ``central_flow`` into named tables
(columns of equal length); :func:`write_series` writes each as ``<name>_<table>.csv`` and
all of them as ``<name>_series.json`` beside the checkpoint, so a user can plot our numbers
with their own tools (``pandas.read_csv``, a spreadsheet) without ``torch.load``.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np

from empirical.errors import ExperimentError
from theory.files import atomic_write_text, make_folders
from theory.validation import json_safe

Table = dict[str, list]


def _col(a) -> list:
    """A column under the project's one rule for non-finite numbers (``json_safe``: NaN
    is ``None``, an empty CSV cell; infinities the strings ``"inf"``/``"-inf"``)."""
    return json_safe(list(np.asarray(a).tolist()))


def _trace_tables(trace, prefix: str = "") -> dict[str, Table]:
    tables = {f"{prefix}loss": {"step": _col(trace.loss_steps), "loss": _col(trace.losses),
                                "lr": _col(trace.lrs)}}
    if len(trace.sharp_steps):
        tables[f"{prefix}sharpness"] = {
            "step": _col(trace.sharp_steps), "sharpness": _col(trace.sharpness),
            "residual": _col(trace.sharp_residuals), "n_hvp": _col(trace.sharp_n_hvp),
            "converged": _col(trace.sharp_converged)}
    if len(trace.eval_steps):
        tables[f"{prefix}test_accuracy"] = {"step": _col(trace.eval_steps),
                                            "test_accuracy": _col(trace.test_accuracy)}
    return tables


def _slice_table(s) -> Table:
    d2 = np.full(len(s.t), np.nan)
    d2[1:-1] = s.second_differences
    return {"t": _col(s.t), "loss": _col(s.losses), "second_difference": _col(d2)}


def _profile_table(p) -> Table:
    return {"radius": _col(p.radii), "loss_plus": _col(p.loss_plus),
            "loss_minus": _col(p.loss_minus), "curvature": _col(p.curvature),
            "local_exponent": _col(p.exponent)}


def result_tables(result) -> dict[str, Table]:
    """Named tables of the raw series of an experiment result (module docstring)."""
    kind = type(result).__name__
    if kind == "EosResult":
        return _trace_tables(result.trace)
    if kind == "LrDecayResult":
        tables = _trace_tables(result.base)
        for t, branch in zip(result.decay_steps, result.branches, strict=True):
            tables.update(_trace_tables(branch, prefix=f"decay_at_{t}_"))
        return tables
    if kind == "SliceExperiment":
        return {**_trace_tables(result.run.trace), "slice": _slice_table(result.slice)}
    if kind == "ScalesExperiment":
        tables = _trace_tables(result.run.trace)
        for p in result.scales.profiles:
            tables[f"profile_{p.name.replace(' ', '_')}"] = _profile_table(p)
        return tables
    if kind == "GeometryExperiment":
        g = result.geometry
        return {**_trace_tables(result.run.trace), "geometry": {
            "step": _col(g.steps), "rsi": _col(g.rsi), "error_bound": _col(g.eb),
            "cosine": _col(g.cosine), "distance": _col(g.distance),
            "grad_norm": _col(g.grad_norm)}}
    if kind == "CentralFlowResult":
        return result.tables()
    raise ExperimentError(f"result={kind}: no raw series are defined for it")


def write_table(path: Path, table: Table) -> Path:
    """One table as CSV (header = column names)."""
    lengths = {len(c) for c in table.values()}
    if len(lengths) != 1:
        raise ExperimentError(f"table {path.name}: columns of different lengths {lengths}")
    text = io.StringIO(newline="")
    writer = csv.writer(text)
    writer.writerow(list(table))
    writer.writerows(zip(*table.values(), strict=True))
    atomic_write_text(path, text.getvalue())
    return path


def write_series(out_dir, name: str, result) -> dict[str, Path]:
    """Write ``<name>_<table>.csv`` for each table and ``<name>_series.json`` with all of
    them into ``out_dir``; returns ``{table: path}`` plus ``"json"``."""
    out = Path(out_dir)
    make_folders(out)  # a linked subfolder of an output folder is refused
    tables = result_tables(result)
    paths = {key: write_table(out / f"{name}_{key}.csv", t) for key, t in tables.items()}
    paths["json"] = out / f"{name}_series.json"
    atomic_write_text(paths["json"], json.dumps(tables, allow_nan=False) + "\n")
    return paths

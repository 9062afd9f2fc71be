"""``msl reproduce``: every figure and claim of the paper, regenerated and checked.

:func:`reproduce` runs the :data:`STAGES` (one per figure, plus the phase diagrams and the
catalog check) at a :class:`Preset` (:data:`QUICK` by default, :data:`FULL`), resumes
finished stages, and writes ``report.json`` (deterministic) and ``report.md``.  The science
lives in ``theory.figures``, ``empirical.figures`` and ``proofs_check``; this package only
orchestrates and reports.
"""

from msl.reproduction.presets import FULL, PRESETS, QUICK, Preset, PresetError, preset
from msl.reproduction.runner import SeedError, StageError, reproduce, select
from msl.reproduction.stages import GROUPS, STAGES, Stage

__all__ = ["FULL", "GROUPS", "PRESETS", "QUICK", "STAGES", "Preset", "PresetError",
           "SeedError", "Stage", "StageError", "preset", "reproduce", "select"]

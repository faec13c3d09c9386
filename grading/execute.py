"""nbgrader's ``Execute`` preprocessor with the output limits of :mod:`grading.outputs`.

Every graded job's ``nbgrader_config.py`` ends with :data:`CONFIG`, which puts
:class:`LimitedExecute` in ``Autograde``'s preprocessors in place of ``Execute`` (every
``Execute`` setting, such as the cell timeout, still applies) and lets the limits here replace
nbgrader's ``LimitOutput`` line limit for streams, which keeps only a stream's first 1,000 lines
and drops any stream output after them, a stderr stream that scores a test cell included. It
also waits up to 60 s (nbclient's default: 4 s) for a kernel's last outputs after a cell's
reply: on a loaded host, a kernel that had just hit its memory cap answered late and nbgrader
failed the whole notebook. A kernel may take up to 180 s (nbclient: 60 s) to start, for the
same reason.
"""

from __future__ import annotations

from typing import Any

from nbformat import NotebookNode, from_dict
from nbgrader.preprocessors import Execute

from .outputs import CellLimits, shrink

__all__ = ["CONFIG", "LimitedExecute"]

CONFIG = """
# added by the class grader (grading/execute.py): outputs are limited while the notebook runs
from grading.execute import LimitedExecute as _Limited
from nbgrader.converters.autograde import Autograde as _Autograde
from nbgrader.preprocessors import Execute as _Execute

_chosen = c.Autograde.get("autograde_preprocessors")
if not isinstance(_chosen, list):
    _chosen = _Autograde.class_traits()["autograde_preprocessors"].make_dynamic_default()
c.Autograde.autograde_preprocessors = [
    _Limited if step in (_Execute, "nbgrader.preprocessors.Execute") else step for step in _chosen
]
c.LimitOutput.max_lines = -1
if "iopub_timeout" not in c.Execute:  # a busy host may deliver outputs late: wait, not fail
    c.Execute.iopub_timeout = 60
if "startup_timeout" not in c.Execute:  # and start a kernel late (nbclient waits 60 s)
    c.Execute.startup_timeout = 180
"""


class LimitedExecute(Execute):
    """``Execute`` that caps each cell's outputs as the kernel's messages arrive."""

    _limits: CellLimits

    def preprocess_cell(self, cell: NotebookNode, resources: Any, index: int) -> Any:
        self._limits = CellLimits()
        try:
            return super().preprocess_cell(cell, resources, index)
        finally:
            note = self._limits.finish()
            if note is not None and cell.get("cell_type") == "code":
                cell.outputs.append(from_dict(note))

    def process_message(self, msg: dict[str, Any], cell: NotebookNode, cell_index: int) -> Any:
        if not self._limits.admit(msg, cell.outputs):
            return None
        return super().process_message(msg, cell, cell_index)

    def output(
        self, outs: list, msg: dict[str, Any], display_id: str | None, cell_index: int
    ) -> Any:
        return self._limits.merge(outs, super().output(outs, msg, display_id, cell_index))

    def on_cell_executed(self, **kwargs: Any) -> None:
        reply = kwargs.get("execute_reply") or {}
        shrink(reply.get("content") or {})  # an error the reply carries is capped too
        super().on_cell_executed(**kwargs)

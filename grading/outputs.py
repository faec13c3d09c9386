"""Limits on what a graded notebook's outputs may hold, so that no output can sink a grade.

A kernel can print hundreds of megabytes, display a million images or raise an exception
whose message is a gigabyte. Kept whole, that output fills the grader's memory, the autograded
notebook and the feedback page, and the submission ends with no result. The limits here are
applied while the notebook runs (:mod:`grading.execute` calls them for every message from the
kernel), per cell:

- consecutive stream messages (stdout, or stderr) are merged, as Jupyter shows them, and a
  stream keeps its first and last :data:`KEEP` characters with a line saying how many
  characters were cut between them;
- any other text (a long ``repr``, a traceback line, an HTML table) keeps its first and last
  :data:`KEEP` characters; a non-text value (an image, a JSON document) larger than
  :data:`MEDIA_LIMIT` characters is replaced by a note; a traceback keeps its first and last
  100 lines;
- a cell keeps at most :data:`MAX_OUTPUTS` outputs and :data:`RICH_BUDGET` characters of
  displayed data; further displays are dropped and counted in a note at the end of the cell.

Scores do not change: nbgrader scores a test cell by the first output that is an error, a
stderr stream or a result, and every output that can be that first one is kept, in order.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["KEEP", "MAX_OUTPUTS", "MEDIA_LIMIT", "RICH_BUDGET", "CellLimits", "Clipped", "clip"]

KEEP = 100_000
MEDIA_LIMIT = 2_000_000
MAX_OUTPUTS = 200
RICH_BUDGET = 20_000_000
TRACEBACK_LINES = 100
RICH = frozenset({"display_data", "execute_result", "update_display_data", "error"})


class Clipped:
    """A text seen in pieces, kept as its first and last ``keep`` characters."""

    def __init__(self, keep: int = KEEP):
        self.keep, self.head, self.tail, self.cut = keep, "", "", 0

    def add(self, text: str) -> None:
        if len(self.head) < self.keep:
            room = self.keep - len(self.head)
            self.head += text[:room]
            text = text[room:]
        if not text:
            return
        if len(text) >= self.keep:
            self.cut += len(self.tail) + len(text) - self.keep
            self.tail = text[-self.keep :]
            return
        overflow = len(self.tail) + len(text) - self.keep
        if overflow > 0:
            self.cut += overflow
            self.tail = self.tail[overflow:] + text
        else:
            self.tail += text

    @property
    def text(self) -> str:
        if not self.cut:
            return self.head + self.tail
        return f"{self.head}\n[... {self.cut:,} characters cut by the grader ...]\n{self.tail}"


def clip(text: str, keep: int = KEEP) -> str:
    """``text`` with everything but its first and last ``keep`` characters cut, and said so."""
    if len(text) <= 2 * keep:
        return text
    clipped = Clipped(keep)
    clipped.add(text)
    return clipped.text


def _size(value: Any) -> int:
    return len(value) if isinstance(value, str) else len(json.dumps(value, default=str))


def shrink(content: dict[str, Any]) -> int:
    """Cap, in place, every value of a display, result or error message; its size after."""
    data = content.get("data")
    if isinstance(data, dict):
        for mime, value in list(data.items()):
            if isinstance(value, str) and mime.startswith("text/"):
                data[mime] = clip(value)
            elif (size := _size(value)) > MEDIA_LIMIT:
                del data[mime]
                data["text/plain"] = f"[{mime} output of {size:,} characters removed by the grader]"
    if "metadata" in content and _size(content["metadata"]) > KEEP:
        content["metadata"] = {}
    for key in ("ename", "evalue"):
        if isinstance(content.get(key), str):
            content[key] = clip(content[key])
    traceback = content.get("traceback")
    if isinstance(traceback, list):
        lines = [clip(str(line)) for line in traceback]
        if len(lines) > 2 * TRACEBACK_LINES:
            cut = len(lines) - 2 * TRACEBACK_LINES
            note = f"[... {cut:,} traceback lines cut by the grader ...]"
            lines = lines[:TRACEBACK_LINES] + [note] + lines[-TRACEBACK_LINES:]
        content["traceback"] = lines
    return sum(_size(content.get(key, "")) for key in ("data", "metadata", "evalue", "traceback"))


def _decides(output: dict[str, Any]) -> bool:
    """Whether nbgrader could score a test cell by this output (error, stderr or a result)."""
    kind = output.get("output_type")
    return kind in ("error", "execute_result") or (
        kind == "stream" and output.get("name") == "stderr"
    )


class CellLimits:
    """The limits of one cell's outputs, as its messages arrive."""

    def __init__(self) -> None:
        self.rich = 0
        self.dropped = 0
        self._last: tuple[dict, Clipped] | None = None  # the stream output still growing
        self._overflow: dict[str, tuple[dict, Clipped]] = {}

    def admit(self, msg: dict[str, Any], outputs: list) -> bool:
        """Cap a message from the kernel; whether it may become (or update) an output."""
        kind = msg.get("msg_type")
        if kind not in RICH:
            return True
        size = shrink(msg.get("content") or {})
        if kind == "update_display_data":
            return True  # replaces an output already counted, capped as it
        if len(outputs) < MAX_OUTPUTS and self.rich + size <= RICH_BUDGET:
            self.rich += size
            return True
        if kind != "display_data" and not any(_decides(out) for out in outputs):
            return True  # the output that scores the cell is always kept
        self.dropped += 1
        return False

    def merge(self, outputs: list, out: dict | None) -> dict | None:
        """After ``out`` was appended to ``outputs``: merge a stream into the one before it
        (or, past :data:`MAX_OUTPUTS`, into the last of its name), keeping it clipped."""
        if (
            out is None
            or out.get("output_type") != "stream"
            or not outputs
            or outputs[-1] is not out
        ):
            return out
        name = out.get("name")
        target = None
        if self._last is not None and len(outputs) > 1 and outputs[-2] is self._last[0]:
            if self._last[0].get("name") == name:
                target = self._last
        if target is None and len(outputs) > MAX_OUTPUTS and name in self._overflow:
            if any(node is self._overflow[name][0] for node in outputs[:-1]):
                target = self._overflow[name]
        if target is None:
            clipped = Clipped()
            clipped.add(out["text"])
            out["text"] = clipped.text
            self._last = (out, clipped)
            if len(outputs) > MAX_OUTPUTS:
                self._overflow[name] = self._last
            return out
        node, clipped = target
        outputs.pop()
        clipped.add(out["text"])
        node["text"] = clipped.text
        return node

    def finish(self) -> dict | None:
        """The note that says how many outputs were dropped (None when none was)."""
        if not self.dropped:
            return None
        text = (
            f"\n[{self.dropped:,} outputs of this cell dropped by the grader: a cell keeps "
            f"{MAX_OUTPUTS} outputs and {RICH_BUDGET:,} characters of displayed data]\n"
        )
        return {"output_type": "stream", "name": "stdout", "text": text}

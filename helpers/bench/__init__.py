"""``python -m helpers.bench``: the course's training steps timed against the classic pipeline.

For each lesson's reference training step, the course's fast path (``course``) and a
straightforward implementation of the same maths (``classic``; for Lesson 1 the seed
notebook's torchvision ``DataLoader`` pipeline) run in the same process, alternating, several
repeats after a warm-up. The table gives each path's median step time, images per second, the
ratio to the classic pipeline and the achieved FLOP/s as a fraction of a matrix-multiply peak
measured in the same run on the same device (see :data:`FLOP_RULE`). Timings are not asserted
anywhere: the test suite runs a tiny budget of this benchmark only so that it never rots.

Adding a lesson's rows: put a module in ``helpers/bench/cases/`` that decorates a builder, as
``cases/progan.py`` does, and list it in ``CASES`` of ``cases/__init__.py``::

    from ..paths import BenchContext, BenchPath, case

    @case("04-progan", "ProGAN: one critic and one generator step at 32 x 32")
    def progressive_gan(ctx: BenchContext) -> list[BenchPath]:
        return [BenchPath("classic", 32, make_classic_step), BenchPath("course", 32, ...)]

Each :class:`BenchPath` builds its networks, optimizers and data in ``make_step()`` and returns
a function that runs one training step; :meth:`BenchContext.option_variants` gives the
``FastOptions`` of the options asked for. Code outside ``helpers`` can call :func:`register`.

The package is split by job: ``paths`` (what a case is made of), ``flops`` (FLOP counting and
the matmul peak), ``runner`` (timing the cases), ``cli`` (the table and the command line) and
``cases`` (one module per lesson).
"""

from .cli import format_table, main
from .flops import FLOP_RULE, PEAK_SIZES, count_flops, matmul_peak
from .paths import DEFAULT_OPTIONS, OPTIONS, BenchCase, BenchContext, BenchPath, case
from .runner import REGISTERED, BenchRow, cases, register, run

__all__ = [
    "DEFAULT_OPTIONS",
    "FLOP_RULE",
    "OPTIONS",
    "PEAK_SIZES",
    "REGISTERED",
    "BenchCase",
    "BenchContext",
    "BenchPath",
    "BenchRow",
    "case",
    "cases",
    "count_flops",
    "format_table",
    "main",
    "matmul_peak",
    "register",
    "run",
]

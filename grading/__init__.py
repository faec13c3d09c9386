"""Class-scale grading for the GAN Course: collect, isolate, autograde in parallel, export.

Kept apart from ``helpers`` (which students install, on Colab too, and must stay free of
nbgrader and Jupyter). Run it from the repository root: ``python -m grading grade --help``.
Modules: ``collect`` (find and name submissions, safely unzipped), ``slots`` (a user per
running job), ``sandbox`` and ``kernel`` (namespaces and limits of each graded job),
``outputs`` and ``execute`` (output limits while a notebook runs), ``scan`` (static tamper
scan), ``jobs`` (one submission's autograde), ``results`` (one result file per submission),
``book`` (gradebook and grades.csv).
"""

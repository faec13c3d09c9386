"""Class-scale grading for the GAN Course: collect, isolate, autograde in parallel, export.

Kept apart from ``helpers`` (which students install, on Colab too, and must stay free of
nbgrader and Jupyter). Run it from the repository root: ``python -m grading grade --help``.
Modules: ``collect`` (find and name submissions), ``sandbox`` and ``kernel`` (isolation of each
graded kernel), ``scan`` (static tamper scan), ``jobs`` (one submission's autograde),
``book`` (gradebook and grades.csv).
"""

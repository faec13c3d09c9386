"""GAN Course helpers: reference implementations and infrastructure for the notebooks.

One module per lesson topic (``mlp_gan`` for Lesson 1; a package split by job once a lesson
grows, as ``progan`` is) beside shared infrastructure: ``runtime`` (device, seeding, grading
and smoke switches, folders), ``validation``, ``data``, ``training``, ``resume``, ``fast``,
``plotting``, ``widgets``, ``checks`` (assertions for test cells) and ``model_files``. On top:
``metrics`` (the course's yardstick), ``pretrained`` (checkpoints the course trained, shipped
under ``helpers/weights``) and ``bench`` (``python -m helpers.bench``). Infrastructure never
imports a lesson, and no module imports itself back (``tests/test_layout.py``).
"""

__version__ = "0.6.0"
# Setup cells check this: `helpers` is a common name, and a student's own helpers.py could shadow
# this package.
__course__ = "gan-course"

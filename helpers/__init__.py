"""GAN Course helpers: reference implementations and infrastructure for the notebooks.

One module per lesson topic (``mlp_gan`` for Lesson 1) beside shared infrastructure:
``runtime`` (device, seeding, grading and smoke switches, folders), ``data``, ``training``,
``plotting``, ``widgets``, ``checks`` (assertions for test cells) and ``pretrained``
(checkpoints the course trained, shipped under ``helpers/weights``).
"""

__version__ = "0.5.0"
# Setup cells check this: `helpers` is a common name, and a student's own helpers.py could shadow
# this package.
__course__ = "gan-course"

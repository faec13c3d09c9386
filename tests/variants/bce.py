"""Implementations of Lesson 2's exercises that students plausibly write.

``WRONG[grade_id]`` must each fail that test cell (visible or hidden part); ``RIGHT[grade_id]``
are correct alternatives to the master solution that must pass it. Each entry is source code
executed in the notebook's namespace (np, torch, nn and F are imported by the setup cell),
replacing the student's definition of that exercise.
"""

_JS_CHECKS = """
    p = np.asarray(p.detach().cpu() if isinstance(p, torch.Tensor) else p, dtype=np.float64)
    q = np.asarray(q.detach().cpu() if isinstance(q, torch.Tensor) else q, dtype=np.float64)
    if p.ndim != 1 or p.shape != q.shape:
        raise ValueError("p and q must be 1-D vectors of the same length")
    if (p < 0).any() or (q < 0).any() or abs(p.sum() - 1) > 1e-6 or abs(q.sum() - 1) > 1e-6:
        raise ValueError("p and q must be probability vectors")
"""

_W1_CHECKS = """
    x = np.asarray(x.detach().cpu() if isinstance(x, torch.Tensor) else x, dtype=np.float64)
    y = np.asarray(y.detach().cpu() if isinstance(y, torch.Tensor) else y, dtype=np.float64)
    if x.shape != y.shape:
        raise ValueError("x and y must have the same size")
"""

_COVERAGE_CHECKS = """
    samples = torch.as_tensor(np.asarray(samples.detach().cpu() if isinstance(samples, torch.Tensor) else samples, dtype=np.float64))
    centers = torch.as_tensor(np.asarray(centers.detach().cpu() if isinstance(centers, torch.Tensor) else centers, dtype=np.float64))
    if samples.dim() != 2 or samples.shape[1] != 2 or len(samples) == 0 or centers.dim() != 2 or centers.shape[1] != 2:
        raise ValueError("samples and centers must be [N, 2]")
    if std <= 0 or k <= 0:
        raise ValueError("std and k must be positive")
"""

WRONG = {
    "test_saturating_g_loss": {
        "log of one minus sigmoid": """
def saturating_g_loss(fake_logits):
    return torch.log(1 - torch.sigmoid(fake_logits)).mean()
""",
        "log1p of minus sigmoid": """
def saturating_g_loss(fake_logits):
    return torch.log1p(-torch.sigmoid(fake_logits)).mean()
""",
        "sign flipped": """
def saturating_g_loss(fake_logits):
    return F.softplus(fake_logits).mean()
""",
        "the non-saturating loss instead": """
def saturating_g_loss(fake_logits):
    return F.softplus(-fake_logits).mean()
""",
        "probabilities clamped away from 0 and 1": """
def saturating_g_loss(fake_logits):
    d = torch.sigmoid(fake_logits).clamp(1e-7, 1 - 1e-7)
    return torch.log(1 - d).mean()
""",
        "sum instead of mean": """
def saturating_g_loss(fake_logits):
    return -F.softplus(fake_logits).sum()
""",
        "minus the BCE against target 0, with a CPU target": """
def saturating_g_loss(fake_logits):
    return -F.binary_cross_entropy_with_logits(fake_logits, torch.zeros(fake_logits.shape))
""",
    },
    "test_non_saturating_g_loss": {
        "minus log of sigmoid": """
def non_saturating_g_loss(fake_logits):
    return -torch.log(torch.sigmoid(fake_logits)).mean()
""",
        "calls Lesson 1's reference": """
from helpers.mlp_gan import generator_loss as non_saturating_g_loss
""",
        "calls the reference through the module": """
def non_saturating_g_loss(fake_logits):
    return mlp_gan.generator_loss(fake_logits)
""",
        "sign flipped": """
def non_saturating_g_loss(fake_logits):
    return F.logsigmoid(fake_logits).mean()
""",
        "sigmoid then BCE": """
def non_saturating_g_loss(fake_logits):
    d = torch.sigmoid(fake_logits)
    return F.binary_cross_entropy(d, torch.ones_like(d))
""",
        "CPU targets": """
def non_saturating_g_loss(fake_logits):
    return F.binary_cross_entropy_with_logits(fake_logits, torch.ones(fake_logits.shape))
""",
    },
    "test_logit_gradient": {
        "flips requires_grad on the caller's tensor": """
def logit_gradient(loss_fn, logits):
    logits.requires_grad_(True)
    loss_fn(logits).backward()
    grad = logits.grad.clone()
    logits.grad = None
    return grad
""",
        "backpropagates into what computed the logits": """
def logit_gradient(loss_fn, logits):
    x = logits if logits.requires_grad else logits.clone().requires_grad_(True)
    if x.is_leaf:
        (grad,) = torch.autograd.grad(loss_fn(x), x)
        return grad
    x.retain_grad()
    loss_fn(x).backward()
    return x.grad
""",
        "finite differences": """
def logit_gradient(loss_fn, logits):
    base = loss_fn(logits.detach())
    grad = torch.zeros_like(logits)
    flat = grad.view(-1)
    for i in range(logits.numel()):
        bumped = logits.detach().clone().view(-1)
        bumped[i] += 1e-3
        flat[i] = (loss_fn(bumped.view_as(logits)) - base) / 1e-3
    return grad
""",
        "gradient of the sum of the per-sample values": """
def logit_gradient(loss_fn, logits):
    x = logits.detach().clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(loss_fn(x) * x.numel(), x)
    return grad
""",
        "keeps the graph of the gradient": """
def logit_gradient(loss_fn, logits):
    x = logits.detach().clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(loss_fn(x), x, create_graph=True)
    return grad
""",
        "calls the reference": """
from helpers.bce import logit_gradient
""",
    },
    "test_js_divergence": {
        "log base 2": f"""
def js_divergence(p, q):{_JS_CHECKS}
    m = (p + q) / 2
    return float(0.5 * np.sum(p[p > 0] * np.log2(p[p > 0] / m[p > 0])) + 0.5 * np.sum(q[q > 0] * np.log2(q[q > 0] / m[q > 0])))
""",
        "no 0 log 0 handling": f"""
def js_divergence(p, q):{_JS_CHECKS}
    m = (p + q) / 2
    return float(0.5 * np.sum(p * np.log(p / m)) + 0.5 * np.sum(q * np.log(q / m)))
""",
        "KL divergence only": f"""
def js_divergence(p, q):{_JS_CHECKS}
    m = (p + q) / 2
    return float(np.sum(p[p > 0] * np.log(p[p > 0] / m[p > 0])))
""",
        "missing the halves": f"""
def js_divergence(p, q):{_JS_CHECKS}
    m = (p + q) / 2
    return float(np.sum(p[p > 0] * np.log(p[p > 0] / m[p > 0])) + np.sum(q[q > 0] * np.log(q[q > 0] / m[q > 0])))
""",
        "SciPy's Jensen-Shannon distance (a square root)": """
from scipy.spatial.distance import jensenshannon
def js_divergence(p, q):
    p, q = np.asarray(p, dtype=np.float64), np.asarray(q, dtype=np.float64)
    if p.shape != q.shape or (p < 0).any() or (q < 0).any() or abs(p.sum() - 1) > 1e-6 or abs(q.sum() - 1) > 1e-6:
        raise ValueError("bad input")
    return float(jensenshannon(p, q))
""",
        "computed in float32": """
def js_divergence(p, q):
    p = torch.as_tensor(p, dtype=torch.float32)
    q = torch.as_tensor(q, dtype=torch.float32)
    if p.dim() != 1 or p.shape != q.shape or (p < 0).any() or (q < 0).any() or abs(p.sum() - 1) > 1e-6 or abs(q.sum() - 1) > 1e-6:
        raise ValueError("bad input")
    m = (p + q) / 2
    return (0.5 * torch.special.xlogy(p, p / m).sum() + 0.5 * torch.special.xlogy(q, q / m).sum()).item()
""",
        "no validation of the sums": """
def js_divergence(p, q):
    p, q = np.asarray(p, dtype=np.float64), np.asarray(q, dtype=np.float64)
    if p.ndim != 1 or p.shape != q.shape:
        raise ValueError("p and q must be 1-D vectors of the same length")
    m = (p + q) / 2
    return float(0.5 * np.sum(p[p > 0] * np.log(p[p > 0] / m[p > 0])) + 0.5 * np.sum(q[q > 0] * np.log(q[q > 0] / m[q > 0])))
""",
        "xlogy of p / m: NaN where p and q are both 0": """
def js_divergence(p, q):
    p = torch.as_tensor(p.detach().cpu() if isinstance(p, torch.Tensor) else p, dtype=torch.float64)
    q = torch.as_tensor(q.detach().cpu() if isinstance(q, torch.Tensor) else q, dtype=torch.float64)
    if p.dim() != 1 or p.shape != q.shape or (p < 0).any() or (q < 0).any() or abs(p.sum() - 1) > 1e-6 or abs(q.sum() - 1) > 1e-6:
        raise ValueError("bad input")
    m = (p + q) / 2
    return (0.5 * torch.special.xlogy(p, p / m).sum() + 0.5 * torch.special.xlogy(q, q / m).sum()).item()
""",
        "calls the reference": """
from helpers import bce
def js_divergence(p, q):
    return bce.js_divergence(p, q)
""",
    },
    "test_wasserstein_1d": {
        "no sorting": f"""
def wasserstein_1d(x, y):{_W1_CHECKS}
    return float(np.mean(np.abs(x - y)))
""",
        "difference of the means": f"""
def wasserstein_1d(x, y):{_W1_CHECKS}
    return float(abs(x.mean() - y.mean()))
""",
        "only one sample sorted": f"""
def wasserstein_1d(x, y):{_W1_CHECKS}
    return float(np.mean(np.abs(np.sort(x) - y)))
""",
        "squared differences": f"""
def wasserstein_1d(x, y):{_W1_CHECKS}
    return float(np.mean((np.sort(x) - np.sort(y)) ** 2))
""",
        "zip truncates unequal sizes": """
def wasserstein_1d(x, y):
    xs, ys = sorted(float(v) for v in x), sorted(float(v) for v in y)
    return sum(abs(a - b) for a, b in zip(xs, ys)) / len(xs)
""",
        "fails on tensors that require grad": """
def wasserstein_1d(x, y):
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if x.shape != y.shape:
        raise ValueError("x and y must have the same size")
    return float(np.mean(np.abs(np.sort(x) - np.sort(y))))
""",
    },
    "test_mode_coverage": {
        "any centre within reach counts, not the nearest": f"""
def mode_coverage(samples, centers, std, k=3.0):{_COVERAGE_CHECKS}
    close = torch.cdist(samples, centers) <= k * std
    return int(close.any(dim=0).sum()), close.any(dim=1).double().mean().item()
""",
        "threshold of one standard deviation": f"""
def mode_coverage(samples, centers, std, k=3.0):{_COVERAGE_CHECKS}
    distance, nearest = torch.cdist(samples, centers).min(dim=1)
    good = distance <= std
    return len(set(nearest[good].tolist())), good.double().mean().item()
""",
        "modes counted from every sample": f"""
def mode_coverage(samples, centers, std, k=3.0):{_COVERAGE_CHECKS}
    distance, nearest = torch.cdist(samples, centers).min(dim=1)
    good = distance <= k * std
    return len(set(nearest.tolist())), good.double().mean().item()
""",
        "quality as a fraction of the modes": f"""
def mode_coverage(samples, centers, std, k=3.0):{_COVERAGE_CHECKS}
    distance, nearest = torch.cdist(samples, centers).min(dim=1)
    good = distance <= k * std
    covered = len(set(nearest[good].tolist()))
    return covered, covered / len(centers)
""",
        "squared distance against k * std": f"""
def mode_coverage(samples, centers, std, k=3.0):{_COVERAGE_CHECKS}
    squared, nearest = (torch.cdist(samples, centers) ** 2).min(dim=1)
    good = squared <= k * std
    return len(set(nearest[good].tolist())), good.double().mean().item()
""",
        "no validation": """
def mode_coverage(samples, centers, std, k=3.0):
    samples = torch.as_tensor(np.asarray(samples.detach() if isinstance(samples, torch.Tensor) else samples, dtype=np.float64))
    centers = torch.as_tensor(np.asarray(centers, dtype=np.float64))
    distance, nearest = torch.cdist(samples, centers).min(dim=1)
    good = distance <= k * std
    return len(set(nearest[good].tolist())), good.double().mean().item()
""",
        "returns tensors": f"""
def mode_coverage(samples, centers, std, k=3.0):{_COVERAGE_CHECKS}
    distance, nearest = torch.cdist(samples, centers).min(dim=1)
    good = distance <= k * std
    return nearest[good].unique().numel(), good.double().mean()
""",
    },
    "test_lsgan_losses": {
        "sigmoid applied to the scores": """
def lsgan_d_loss(real_out, fake_out):
    real, fake = torch.sigmoid(real_out), torch.sigmoid(fake_out)
    return 0.5 * ((real - 1) ** 2).mean() + 0.5 * (fake ** 2).mean()
def lsgan_g_loss(fake_out):
    return 0.5 * ((torch.sigmoid(fake_out) - 1) ** 2).mean()
""",
        "no factor one half": """
def lsgan_d_loss(real_out, fake_out):
    return ((real_out - 1) ** 2).mean() + (fake_out ** 2).mean()
def lsgan_g_loss(fake_out):
    return ((fake_out - 1) ** 2).mean()
""",
        "one mean over both batches": """
def lsgan_d_loss(real_out, fake_out):
    return 0.5 * torch.cat([(real_out - 1) ** 2, fake_out ** 2]).mean()
def lsgan_g_loss(fake_out):
    return 0.5 * ((fake_out - 1) ** 2).mean()
""",
        "generator target 0": """
def lsgan_d_loss(real_out, fake_out):
    return 0.5 * ((real_out - 1) ** 2).mean() + 0.5 * (fake_out ** 2).mean()
def lsgan_g_loss(fake_out):
    return 0.5 * (fake_out ** 2).mean()
""",
        "targets swapped in D": """
def lsgan_d_loss(real_out, fake_out):
    return 0.5 * (real_out ** 2).mean() + 0.5 * ((fake_out - 1) ** 2).mean()
def lsgan_g_loss(fake_out):
    return 0.5 * ((fake_out - 1) ** 2).mean()
""",
        "MSE against CPU targets": """
def lsgan_d_loss(real_out, fake_out):
    return 0.5 * F.mse_loss(real_out, torch.ones(real_out.shape)) + 0.5 * F.mse_loss(fake_out, torch.zeros(fake_out.shape))
def lsgan_g_loss(fake_out):
    return 0.5 * F.mse_loss(fake_out, torch.ones(fake_out.shape))
""",
        "scores clamped to [-1, 2]": """
def lsgan_d_loss(real_out, fake_out):
    return 0.5 * ((real_out - 1) ** 2).mean() + 0.5 * (fake_out ** 2).mean()
def lsgan_g_loss(fake_out):
    return 0.5 * ((fake_out.clamp(-1, 2) - 1) ** 2).mean()
""",
    },
}

RIGHT = {
    "test_saturating_g_loss": {
        "logsigmoid of minus the logits": """
def saturating_g_loss(fake_logits):
    return F.logsigmoid(-fake_logits).mean()
""",
        "minus the BCE against target 0": """
def saturating_g_loss(fake_logits):
    return -F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
""",
        "stable formula by hand": """
def saturating_g_loss(fake_logits):
    x = fake_logits
    return -(x.clamp(min=0) + torch.log1p(torch.exp(-x.abs()))).mean()
""",
    },
    "test_non_saturating_g_loss": {
        "minus logsigmoid": """
def non_saturating_g_loss(fake_logits):
    return -F.logsigmoid(fake_logits).mean()
""",
        "BCE with logits against ones": """
def non_saturating_g_loss(fake_logits):
    return F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))
""",
        "BCEWithLogitsLoss module with full_like targets": """
def non_saturating_g_loss(fake_logits):
    return nn.BCEWithLogitsLoss()(fake_logits, torch.full_like(fake_logits, 1.0))
""",
    },
    "test_logit_gradient": {
        "backward on a detached leaf": """
def logit_gradient(loss_fn, logits):
    x = logits.detach().clone()
    x.requires_grad = True
    loss_fn(x).backward()
    return x.grad
""",
        "torch.func.grad": """
def logit_gradient(loss_fn, logits):
    return torch.func.grad(loss_fn)(logits.detach())
""",
        "enable_grad around the computation": """
def logit_gradient(loss_fn, logits):
    with torch.enable_grad():
        x = logits.detach().requires_grad_()
        return torch.autograd.grad(loss_fn(x), [x])[0].detach()
""",
    },
    "test_js_divergence": {
        "SciPy's entropy": """
from scipy.stats import entropy
def js_divergence(p, q):
    p = np.asarray(p.detach().cpu() if isinstance(p, torch.Tensor) else p, dtype=np.float64)
    q = np.asarray(q.detach().cpu() if isinstance(q, torch.Tensor) else q, dtype=np.float64)
    if p.ndim != 1 or p.shape != q.shape or (p < 0).any() or (q < 0).any():
        raise ValueError("p and q must be non-negative 1-D vectors of the same length")
    if abs(p.sum() - 1) > 1e-6 or abs(q.sum() - 1) > 1e-6:
        raise ValueError("p and q must sum to 1")
    m = (p + q) / 2
    return float(0.5 * entropy(p, m) + 0.5 * entropy(q, m))
""",
        "torch float64 with torch.where": """
def js_divergence(p, q):
    p = torch.as_tensor(p.detach().cpu() if isinstance(p, torch.Tensor) else p, dtype=torch.float64)
    q = torch.as_tensor(q.detach().cpu() if isinstance(q, torch.Tensor) else q, dtype=torch.float64)
    if p.dim() != 1 or p.shape != q.shape:
        raise ValueError(f"bad shapes {tuple(p.shape)} and {tuple(q.shape)}")
    for name, d in (("p", p), ("q", q)):
        if (d < 0).any() or abs(d.sum().item() - 1) > 1e-6:
            raise ValueError(f"{name} is not a probability vector")
    m = (p + q) / 2
    kl_p = torch.where(p > 0, p * torch.log(p / m), torch.zeros_like(p)).sum()
    kl_q = torch.where(q > 0, q * torch.log(q / m), torch.zeros_like(q)).sum()
    return (0.5 * kl_p + 0.5 * kl_q).item()
""",
        "numpy with np.where and errstate": f"""
def js_divergence(p, q):{_JS_CHECKS}
    m = 0.5 * (p + q)
    with np.errstate(divide="ignore", invalid="ignore"):
        kl_p = np.where(p > 0, p * np.log(p / m), 0.0).sum()
        kl_q = np.where(q > 0, q * np.log(q / m), 0.0).sum()
    return float(0.5 * (kl_p + kl_q))
""",
        "plain Python loop": """
import math
def js_divergence(p, q):
    p = p.detach().cpu().tolist() if isinstance(p, torch.Tensor) else list(p)
    q = q.detach().cpu().tolist() if isinstance(q, torch.Tensor) else list(q)
    if not all(isinstance(v, (int, float)) for v in p + q):
        raise ValueError("p and q must be flat lists of numbers")
    if len(p) != len(q) or min(p + q) < 0 or abs(sum(p) - 1) > 1e-6 or abs(sum(q) - 1) > 1e-6:
        raise ValueError("p and q must be probability vectors of the same length")
    total = 0.0
    for a, b in zip(p, q):
        m = (a + b) / 2
        if a > 0:
            total += 0.5 * a * math.log(a / m)
        if b > 0:
            total += 0.5 * b * math.log(b / m)
    return total
""",
    },
    "test_wasserstein_1d": {
        "numpy": f"""
def wasserstein_1d(x, y):{_W1_CHECKS}
    return float(np.abs(np.sort(x) - np.sort(y)).mean())
""",
        "SciPy's wasserstein_distance": f"""
from scipy.stats import wasserstein_distance
def wasserstein_1d(x, y):{_W1_CHECKS}
    return float(wasserstein_distance(x, y))
""",
        "torch.sort on flattened float64 tensors": """
def wasserstein_1d(x, y):
    x = torch.as_tensor(x).detach().to("cpu", torch.float64).flatten()
    y = torch.as_tensor(y).detach().to("cpu", torch.float64).flatten()
    if x.numel() != y.numel():
        raise ValueError(f"sizes differ: {x.numel()} vs {y.numel()}")
    return torch.mean(torch.abs(torch.sort(x)[0] - torch.sort(y)[0])).item()
""",
    },
    "test_mode_coverage": {
        "numpy broadcasting": """
def mode_coverage(samples, centers, std, k=3.0):
    s = np.asarray(samples.detach().cpu() if isinstance(samples, torch.Tensor) else samples, dtype=np.float64)
    c = np.asarray(centers.detach().cpu() if isinstance(centers, torch.Tensor) else centers, dtype=np.float64)
    if s.ndim != 2 or s.shape[1] != 2 or s.shape[0] == 0 or c.ndim != 2 or c.shape[1] != 2:
        raise ValueError("samples and centers must have shape [N, 2]")
    if not (std > 0 and k > 0):
        raise ValueError("std and k must be positive")
    d = np.sqrt(((s[:, None, :] - c[None, :, :]) ** 2).sum(-1))
    nearest = d.argmin(1)
    good = d.min(1) <= k * std
    return int(len(np.unique(nearest[good]))), float(good.mean())
""",
        "SciPy's cKDTree": f"""
from scipy.spatial import cKDTree
def mode_coverage(samples, centers, std, k=3.0):{_COVERAGE_CHECKS}
    distance, nearest = cKDTree(centers.numpy()).query(samples.numpy())
    good = distance <= k * std
    return len(set(nearest[good].tolist())), float(good.mean())
""",
        "torch with bincount": f"""
def mode_coverage(samples, centers, std, k=3.0):{_COVERAGE_CHECKS}
    distance, nearest = torch.cdist(samples, centers).min(dim=1)
    good = distance <= k * std
    counts = torch.bincount(nearest[good], minlength=len(centers))
    return int((counts > 0).sum().item()), float(good.sum().item() / len(samples))
""",
    },
    "test_lsgan_losses": {
        "MSE on the device of the scores": """
def lsgan_d_loss(real_out, fake_out):
    return 0.5 * F.mse_loss(real_out, torch.ones_like(real_out)) + 0.5 * F.mse_loss(fake_out, torch.zeros_like(fake_out))
def lsgan_g_loss(fake_out):
    return 0.5 * F.mse_loss(fake_out, torch.ones_like(fake_out))
""",
        "pow and mean over each batch": """
def lsgan_d_loss(real_out, fake_out):
    return (real_out - 1).pow(2).mean() / 2 + fake_out.pow(2).mean() / 2
def lsgan_g_loss(fake_out):
    return (fake_out - 1).pow(2).mean() / 2
""",
        "MSELoss module": """
def lsgan_d_loss(real_out, fake_out):
    mse = nn.MSELoss()
    return 0.5 * (mse(real_out, torch.full_like(real_out, 1.0)) + mse(fake_out, fake_out.new_zeros(fake_out.shape)))
def lsgan_g_loss(fake_out):
    return 0.5 * nn.MSELoss()(fake_out, fake_out.new_ones(fake_out.shape))
""",
    },
}

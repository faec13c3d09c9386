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
    if len(centers) == 0:
        raise ValueError("need at least one centre")
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
        ".numpy() without .cpu()": """
def js_divergence(p, q):
    p = p.detach().double().numpy() if torch.is_tensor(p) else np.array(p, dtype=np.float64)
    q = q.detach().double().numpy() if torch.is_tensor(q) else np.array(q, dtype=np.float64)
    if p.ndim != 1 or q.ndim != 1 or p.size != q.size:
        raise ValueError("p and q must be 1-D vectors of the same length")
    if (p < 0).any() or (q < 0).any() or abs(p.sum() - 1) > 1e-6 or abs(q.sum() - 1) > 1e-6:
        raise ValueError("p and q must be probability vectors")
    m = (p + q) / 2
    kl_p = np.sum(np.where(p > 0, p * np.log(np.where(p > 0, p, 1) / np.where(p > 0, m, 1)), 0.0))
    kl_q = np.sum(np.where(q > 0, q * np.log(np.where(q > 0, q, 1) / np.where(q > 0, m, 1)), 0.0))
    return float((kl_p + kl_q) / 2)
""",
        "zeros clipped to a tiny epsilon in the caller's array": """
def js_divergence(p, q):
    arrays = []
    for x in (p, q):
        x = x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x, dtype=np.float64)
        if x.ndim != 1 or (x < 0).any() or abs(x.sum() - 1) > 1e-6:
            raise ValueError("inputs must be 1-D probability vectors")
        np.clip(x, 1e-300, None, out=x)  # avoid log(0)
        arrays.append(x.astype(np.float64))
    p, q = arrays
    if p.shape != q.shape:
        raise ValueError("p and q must have the same length")
    m = (p + q) / 2
    return float(0.5 * np.sum(p * np.log(p / m)) + 0.5 * np.sum(q * np.log(q / m)))
""",
        "negative entries looked for in p only": """
def js_divergence(p, q):
    p = np.asarray(p.detach().cpu() if isinstance(p, torch.Tensor) else p, dtype=np.float64)
    q = np.asarray(q.detach().cpu() if isinstance(q, torch.Tensor) else q, dtype=np.float64)
    if p.ndim != 1 or p.shape != q.shape:
        raise ValueError("p and q must be 1-D vectors of the same length")
    if np.any(p < 0):
        raise ValueError("probabilities cannot be negative")
    if abs(p.sum() - 1) > 1e-6 or abs(q.sum() - 1) > 1e-6:
        raise ValueError("p and q must sum to 1")
    m = (p + q) / 2
    return float(sum(0.5 * a * np.log(a / b) for x in (p, q) for a, b in zip(x, m) if a > 0))
""",
        "sums checked with math.isclose's default tolerance": """
import math
def js_divergence(p, q):
    p = np.asarray(p.detach().cpu() if isinstance(p, torch.Tensor) else p, dtype=np.float64)
    q = np.asarray(q.detach().cpu() if isinstance(q, torch.Tensor) else q, dtype=np.float64)
    if p.ndim != 1 or p.shape != q.shape:
        raise ValueError("p and q must be 1-D vectors of one length")
    if min(p.min(), q.min()) < 0 or not (math.isclose(p.sum(), 1) and math.isclose(q.sum(), 1)):
        raise ValueError("p and q must be distributions")
    m = (p + q) / 2
    total = 0.0
    for a in (p, q):
        mask = a > 0
        total += 0.5 * np.sum(a[mask] * np.log(a[mask] / m[mask]))
    return float(total)
""",
        "sums checked with np.isclose's default tolerance": """
def js_divergence(p, q):
    p = np.asarray(p.detach().cpu() if isinstance(p, torch.Tensor) else p, dtype=np.float64)
    q = np.asarray(q.detach().cpu() if isinstance(q, torch.Tensor) else q, dtype=np.float64)
    if p.ndim != 1 or q.ndim != 1 or len(p) != len(q):
        raise ValueError("p and q must be 1-D and of equal length")
    for name, x in (("p", p), ("q", q)):
        if (x < 0).any() or not np.isclose(x.sum(), 1.0):
            raise ValueError(f"{name} is not a probability vector")
    m = 0.5 * (p + q)
    kl = lambda a: float(np.sum(a[a > 0] * np.log(a[a > 0] / m[a > 0])))
    return 0.5 * kl(p) + 0.5 * kl(q)
""",
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
        ".numpy() without .cpu()": """
def wasserstein_1d(x, y):
    to_array = lambda v: v.detach().numpy() if torch.is_tensor(v) else np.asarray(v)
    x, y = np.sort(to_array(x).astype(np.float64).ravel()), np.sort(to_array(y).astype(np.float64).ravel())
    if len(x) != len(y):
        raise ValueError("samples must have equal sizes")
    return float(np.mean(np.abs(x - y)))
""",
        "sorts the caller's array in place": """
def wasserstein_1d(x, y):
    x = x.detach().cpu().numpy() if torch.is_tensor(x) else np.asarray(x, dtype=np.float64)
    y = y.detach().cpu().numpy() if torch.is_tensor(y) else np.asarray(y, dtype=np.float64)
    if x.size != y.size:
        raise ValueError("x and y must have the same number of values")
    x.sort()
    y.sort()
    return float(np.abs(x.astype(np.float64) - y.astype(np.float64)).mean())
""",
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
        ".numpy() without .cpu()": """
def mode_coverage(samples, centers, std, k=3.0):
    s = samples.detach().numpy() if torch.is_tensor(samples) else np.asarray(samples)
    c = centers.detach().numpy() if torch.is_tensor(centers) else np.asarray(centers)
    s, c = s.astype(np.float64), c.astype(np.float64)
    if s.ndim != 2 or s.shape[1] != 2 or len(s) == 0 or c.ndim != 2 or c.shape[1] != 2 or len(c) == 0:
        raise ValueError("samples and centers must have shape [M, 2], M >= 1")
    if not (std > 0 and k > 0):
        raise ValueError("std and k must be positive")
    d = np.linalg.norm(s[:, None] - c[None], axis=-1)
    good = d.min(axis=1) <= k * std
    return len(set(d.argmin(axis=1)[good].tolist())), float(good.mean())
""",
        "validates samples but not centers": """
def mode_coverage(samples, centers, std, k=3.0):
    s = torch.as_tensor(samples.detach().cpu() if torch.is_tensor(samples) else np.asarray(samples)).double()
    c = torch.as_tensor(centers.detach().cpu() if torch.is_tensor(centers) else np.asarray(centers)).double()
    if s.dim() != 2 or s.shape[1] != 2 or s.shape[0] < 1:
        raise ValueError(f"samples must be [N, 2], got {list(s.shape)}")
    if std <= 0 or k <= 0:
        raise ValueError("std and k must be positive")
    distance, nearest = torch.cdist(s, c.reshape(-1, 2)).min(dim=1)
    good = distance <= k * std
    return int(nearest[good].unique().numel()), good.double().mean().item()
""",
        "any centre within reach counts, not the nearest": f"""
def mode_coverage(samples, centers, std, k=3.0):{_COVERAGE_CHECKS}
    close = torch.cdist(samples, centers) <= k * std
    return int(close.any(dim=0).sum()), close.any(dim=1).double().mean().item()
""",
        "strictly closer than k * std (the boundary excluded)": f"""
def mode_coverage(samples, centers, std, k=3.0):{_COVERAGE_CHECKS}
    distance, nearest = torch.cdist(samples, centers).min(dim=1)
    good = distance < k * std
    return len(set(nearest[good].tolist())), good.double().mean().item()
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
        "np.isclose with the stated absolute tolerance": """
def js_divergence(p, q):
    vectors = []
    for x in (p, q):
        if torch.is_tensor(x):
            x = x.detach().to("cpu", torch.float64).numpy()
        x = np.array(x, dtype=np.float64)
        if x.ndim != 1 or x.size == 0:
            raise ValueError("expected a non-empty 1-D vector")
        if np.any(x < 0) or not np.isclose(x.sum(), 1.0, rtol=0.0, atol=1e-6):
            raise ValueError("expected non-negative entries summing to 1")
        vectors.append(x)
    p, q = vectors
    if len(p) != len(q):
        raise ValueError("p and q differ in length")
    m = (p + q) / 2
    return float(sum(0.5 * x[x > 0] @ np.log(x[x > 0] / m[x > 0]) for x in (p, q)))
""",
        "np.nansum over p * log(p / m) (numpy divide warnings)": """
def js_divergence(p, q):
    p = np.asarray(p.detach().cpu() if isinstance(p, torch.Tensor) else p, dtype=np.float64)
    q = np.asarray(q.detach().cpu() if isinstance(q, torch.Tensor) else q, dtype=np.float64)
    if p.ndim != 1 or p.shape != q.shape:
        raise ValueError("p and q must be 1-D vectors of the same length")
    for x in (p, q):
        if (x < 0).any() or abs(x.sum() - 1) > 1e-6:
            raise ValueError(f"not a probability vector: sum {x.sum()}")
    m = (p + q) / 2
    # where p = 0 the term is 0 * log(0) = nan, which nansum drops: 0 log 0 = 0
    return float(0.5 * np.nansum(p * np.log(p / m)) + 0.5 * np.nansum(q * np.log(q / m)))
""",
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
        "torch.sort on the inputs' device, one .item()": """
def wasserstein_1d(x, y):
    x = x.detach().double().flatten() if torch.is_tensor(x) else torch.as_tensor(np.asarray(x, dtype=np.float64))
    y = y.detach().double().flatten() if torch.is_tensor(y) else torch.as_tensor(np.asarray(y, dtype=np.float64))
    if x.numel() != y.numel():
        raise ValueError("x and y need the same size")
    return (torch.sort(x).values - torch.sort(y.to(x.device)).values).abs().mean().item()
""",
        "sorted Python floats from tolist()": """
def wasserstein_1d(x, y):
    as_floats = lambda v: [float(t) for t in (v.detach().reshape(-1).tolist() if torch.is_tensor(v) else list(v))]
    xs, ys = sorted(as_floats(x)), sorted(as_floats(y))
    if len(xs) != len(ys):
        raise ValueError(f"sizes differ: {len(xs)} and {len(ys)}")
    return sum(abs(a - b) for a, b in zip(xs, ys)) / len(xs)
""",
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
        "one validation helper for both, via tolist()": """
def mode_coverage(samples, centers, std, k=3.0):
    def points(x, what):
        rows = x.detach().tolist() if torch.is_tensor(x) else np.asarray(x).tolist()
        t = torch.tensor(rows, dtype=torch.float64)
        if t.dim() != 2 or t.shape[-1] != 2 or len(t) == 0:
            raise ValueError(f"{what} must have shape [M, 2] with M >= 1")
        return t
    s, c = points(samples, "samples"), points(centers, "centers")
    if std <= 0 or k <= 0:
        raise ValueError("std and k must be > 0")
    d = torch.cdist(s, c)
    nearest = d.argmin(dim=1)
    ok = d.gather(1, nearest[:, None]).squeeze(1) <= k * std
    return int(torch.unique(nearest[ok]).numel()), float(ok.double().mean())
""",
        "numpy broadcasting": """
def mode_coverage(samples, centers, std, k=3.0):
    s = np.asarray(samples.detach().cpu() if isinstance(samples, torch.Tensor) else samples, dtype=np.float64)
    c = np.asarray(centers.detach().cpu() if isinstance(centers, torch.Tensor) else centers, dtype=np.float64)
    if s.ndim != 2 or s.shape[1] != 2 or s.shape[0] == 0 or c.ndim != 2 or c.shape[1] != 2 or c.shape[0] == 0:
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
        "MSE against a scalar target (a broadcasting warning)": """
def lsgan_d_loss(real_out, fake_out):
    return 0.5 * F.mse_loss(real_out, real_out.new_tensor(1.0)) + 0.5 * F.mse_loss(fake_out, fake_out.new_tensor(0.0))
def lsgan_g_loss(fake_out):
    return 0.5 * F.mse_loss(fake_out, fake_out.new_tensor(1.0))  # the target broadcasts: torch warns
""",
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

# Correct variants that raise a warning while the checks run: they keep their points, and the
# test cell notes the warning on stdout (nbgrader scores a cell with stderr output 0).
WARNING = [
    ("test_js_divergence", "np.nansum over p * log(p / m) (numpy divide warnings)"),
    ("test_lsgan_losses", "MSE against a scalar target (a broadcasting warning)"),
]

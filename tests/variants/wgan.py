"""Implementations of Lesson 3's exercises that students plausibly write.

``WRONG[grade_id]`` must each fail that test cell (visible or hidden part); ``RIGHT[grade_id]``
are correct alternatives to the master solution that must pass it. Each entry is source code
executed in the notebook's namespace (torch, nn and F are imported by the setup cell),
replacing the student's definition of that exercise.
"""

_GP_BODY = """
def gradient_penalty(critic, real, fake, alpha=None):
    n = real.shape[0]
    if alpha is None:
{draw}
    x_hat = {x_hat}
    scores = critic(x_hat)
    (grad,) = torch.autograd.grad(scores.sum(), x_hat, create_graph={create_graph})
    norms = {norms}
    return {penalty}
"""


def _gp(
    draw: str = "        alpha = torch.rand(n, *[1] * (real.dim() - 1), device=real.device)",
    x_hat: str = "interpolate(real.detach(), fake.detach(), alpha).requires_grad_(True)",
    create_graph: str = "True",
    norms: str = "grad.reshape(n, -1).norm(2, dim=1)",
    penalty: str = "((norms - 1) ** 2).mean()",
) -> str:
    return (
        _GP_BODY.replace("{draw}", draw)
        .replace("{x_hat}", x_hat)
        .replace("{create_graph}", create_graph)
        .replace("{norms}", norms)
        .replace("{penalty}", penalty)
    )


_STEP_BODY = """
def critic_step(G, critic, opt_G, opt_C, real, z_dim, mode="gp", c=0.01, gp_weight=10.0):
{make_fake}
    real_scores, fake_scores = critic(real), critic(fake)
    loss = critic_loss(real_scores, fake_scores)
    gp = None
    if mode == "gp":
        gp = gradient_penalty(critic, real, fake)
        total = loss + {weight} * gp
    else:
        total = loss
{update}
    return {returned}
"""

_FAKE = """    z = torch.randn(real.shape[0], z_dim, device=real.device)
    with torch.no_grad():
        fake = G(z)"""
_UPDATE = """    opt_C.zero_grad()
    total.backward()
    opt_C.step()
    if mode == "clip":
        clip_weights_(critic, c)"""
_RETURN = """{"d_loss": total.item(), "wasserstein": (real_scores.mean() - fake_scores.mean()).item(),
            "gp": None if gp is None else gp.item()}"""


def _step(
    make_fake: str = _FAKE,
    weight: str = "gp_weight",
    update: str = _UPDATE,
    returned: str = _RETURN,
) -> str:
    return (
        _STEP_BODY.replace("{make_fake}", make_fake)
        .replace("{weight}", weight)
        .replace("{update}", update)
        .replace("{returned}", returned)
    )


_FD_BODY = """
def frechet_distance(mu1, cov1, mu2, cov2):
    eigenvalues, vectors = torch.linalg.eigh(cov1)
    root1 = vectors @ torch.diag({root_values}) @ vectors.T
    middle = root1 @ cov2 @ root1
    trace_root = {trace_root}
    return {distance}
"""


def _fd(
    root_values: str = "eigenvalues.clamp(min=0).sqrt()",
    trace_root: str = "torch.linalg.eigvalsh(middle).clamp(min=0).sqrt().sum()",
    distance: str = "(mu1 - mu2).square().sum() + cov1.trace() + cov2.trace() - 2 * trace_root",
) -> str:
    return (
        _FD_BODY.replace("{root_values}", root_values)
        .replace("{trace_root}", trace_root)
        .replace("{distance}", distance)
    )


WRONG = {
    "test_critic_loss": {
        "sign flipped": """
def critic_loss(real_scores, fake_scores):
    return real_scores.mean() - fake_scores.mean()
""",
        "one mean over both batches": """
def critic_loss(real_scores, fake_scores):
    return torch.cat([fake_scores, -real_scores]).mean()
""",
        "sums instead of means": """
def critic_loss(real_scores, fake_scores):
    return fake_scores.sum() - real_scores.sum()
""",
        "BCE with logits": """
def critic_loss(real_scores, fake_scores):
    return (F.binary_cross_entropy_with_logits(real_scores, torch.ones_like(real_scores))
            + F.binary_cross_entropy_with_logits(fake_scores, torch.zeros_like(fake_scores)))
""",
        "sigmoid on the scores": """
def critic_loss(real_scores, fake_scores):
    return torch.sigmoid(fake_scores).mean() - torch.sigmoid(real_scores).mean()
""",
        "returns a float": """
def critic_loss(real_scores, fake_scores):
    return (fake_scores.mean() - real_scores.mean()).item()
""",
    },
    "test_generator_loss": {
        "sign flipped": """
def generator_loss(fake_scores):
    return fake_scores.mean()
""",
        "sum instead of mean": """
def generator_loss(fake_scores):
    return -fake_scores.sum()
""",
        "non-saturating BCE": """
def generator_loss(fake_scores):
    return F.binary_cross_entropy_with_logits(fake_scores, torch.ones_like(fake_scores))
""",
        "detached": """
def generator_loss(fake_scores):
    return -fake_scores.detach().mean()
""",
    },
    "test_clip_weights_": {
        "Linear and Conv layers only": """
def clip_weights_(critic, c=0.01):
    with torch.no_grad():
        for layer in critic.modules():
            if isinstance(layer, (nn.Linear, nn.Conv2d)):
                layer.weight.clamp_(-c, c)
                if layer.bias is not None:
                    layer.bias.clamp_(-c, c)
""",
        "every floating-point tensor in state_dict()": """
def clip_weights_(critic, c=0.01):
    for name, tensor in critic.state_dict().items():
        if tensor.is_floating_point():  # skip integer counters
            tensor.clamp_(min=-c, max=c)
""",
        "every tensor in state_dict()": """
def clip_weights_(critic, c=0.01):
    with torch.no_grad():
        for tensor in critic.state_dict().values():
            tensor.clamp_(-c, c)
""",
        "weights only, not biases": """
def clip_weights_(critic, c=0.01):
    with torch.no_grad():
        for name, p in critic.named_parameters():
            if "weight" in name:
                p.clamp_(-c, c)
""",
        "rebinds a local name": """
def clip_weights_(critic, c=0.01):
    for p in critic.parameters():
        p = p.clamp(-c, c)
""",
        "in place without no_grad": """
def clip_weights_(critic, c=0.01):
    for p in critic.parameters():
        p.clamp_(-c, c)
""",
        "clips the gradients instead": """
def clip_weights_(critic, c=0.01):
    torch.nn.utils.clip_grad_value_(critic.parameters(), c)
""",
        "only the direct children's weights": """
def clip_weights_(critic, c=0.01):
    with torch.no_grad():
        for layer in critic.children():
            if hasattr(layer, "weight"):
                layer.weight.clamp_(-c, c)
                layer.bias.clamp_(-c, c)
""",
        "clamps to [0, c]": """
def clip_weights_(critic, c=0.01):
    with torch.no_grad():
        for p in critic.parameters():
            p.clamp_(0, c)
""",
        "default c of 0.1": """
def clip_weights_(critic, c=0.1):
    with torch.no_grad():
        for p in critic.parameters():
            p.clamp_(-c, c)
""",
    },
    "test_interpolate": {
        "real and fake swapped": """
def interpolate(real, fake, alpha):
    return alpha * fake + (1 - alpha) * real
""",
        "torch.lerp the wrong way round": """
def interpolate(real, fake, alpha):
    return torch.lerp(real, fake, alpha)
""",
        "detached result": """
def interpolate(real, fake, alpha):
    return (alpha * real + (1 - alpha) * fake).detach()
""",
        "ignores alpha and draws its own": """
def interpolate(real, fake, alpha):
    a = torch.rand_like(alpha)
    return a * real + (1 - a) * fake
""",
        "one alpha for the batch": """
def interpolate(real, fake, alpha):
    a = alpha.mean()
    return a * real + (1 - a) * fake
""",
    },
    "test_gradient_penalty": {
        "critic put in eval mode for the penalty, then in train mode": """
def gradient_penalty(critic, real, fake, alpha=None):
    n = real.shape[0]
    if alpha is None:
        alpha = torch.rand(n, *[1] * (real.dim() - 1), device=real.device)
    x_hat = interpolate(real.detach(), fake.detach(), alpha).requires_grad_(True)
    if isinstance(critic, nn.Module):
        critic.eval()  # no dropout noise in the penalty
    scores = critic(x_hat)
    if isinstance(critic, nn.Module):
        critic.train()
    (grad,) = torch.autograd.grad(scores.sum(), x_hat, create_graph=True)
    return ((grad.reshape(n, -1).norm(2, dim=1) - 1) ** 2).mean()
""",
        "alpha kept from the first call of each size": _gp(
            draw="""        alpha = _ALPHAS.setdefault(real.shape, torch.rand(n, *[1] * (real.dim() - 1), device=real.device))"""
        ).replace("def gradient_penalty", "_ALPHAS = {}\ndef gradient_penalty"),
        "norm over the whole batch": _gp(norms="grad.norm(2).expand(n)"),
        "no square": _gp(penalty="(norms - 1).abs().mean()"),
        "no create_graph": _gp(create_graph="False"),
        "one alpha per pixel": _gp(draw="        alpha = torch.rand_like(real)"),
        "one alpha for the batch": _gp(draw="        alpha = torch.rand(1, device=real.device)"),
        "alpha drawn on the CPU": _gp(
            draw="        alpha = torch.rand(n, *[1] * (real.dim() - 1))"
        ),
        "normal alpha": _gp(
            draw="        alpha = torch.randn(n, *[1] * (real.dim() - 1), device=real.device)"
        ),
        "no detach: gradients reach real and fake": _gp(
            x_hat="interpolate(real, fake, alpha)\n    x_hat.retain_grad()"
        ),
        "norm over the channel dimension only": _gp(
            norms="grad.norm(2, dim=1).reshape(n, -1).mean(1)"
        ),
        "squared norm": _gp(norms="(grad.reshape(n, -1) ** 2).sum(1)"),
        "at the real samples": _gp(x_hat="real.detach().clone().requires_grad_(True)"),
        "calls the reference": """
from helpers.wgan import gradient_penalty
""",
    },
    "test_critic_step": {
        "codes drawn once per batch size": _step(
            make_fake="""    if real.shape[0] not in _CODES:
        _CODES[real.shape[0]] = torch.randn(real.shape[0], z_dim, device=real.device)
    with torch.no_grad():
        fake = G(_CODES[real.shape[0]])"""
        ).replace("def critic_step", "_CODES = {}\ndef critic_step"),
        "instance noise added to the real batch in place": _step(
            make_fake="    real.add_(0.01 * torch.randn_like(real))\n" + _FAKE
        ),
        "G in eval mode for the fakes, then in train mode": _step(
            make_fake="""    G.eval()
    with torch.no_grad():
        fake = G(torch.randn(real.shape[0], z_dim, device=real.device))
    G.train()"""
        ),
        "critic switched to train mode, never back": _step(
            make_fake="    critic.train()\n" + _FAKE
        ),
        "penalty with alpha fixed at 1 (at the real samples)": _step().replace(
            "gradient_penalty(critic, real, fake)",
            "gradient_penalty(critic, real, fake, alpha=torch.ones_like(real[:, :1]))",
        ),
        "penalty taken at the fake batch": _step().replace(
            "gradient_penalty(critic, real, fake)", "gradient_penalty(critic, fake, fake)"
        ),
        "no detach: gradient into G": _step(
            make_fake="    fake = G(torch.randn(real.shape[0], z_dim, device=real.device))"
        ),
        "codes on the CPU": _step(
            make_fake="    with torch.no_grad():\n        fake = G(torch.randn(real.shape[0], z_dim)).to(real.device)"
        ),
        "uniform codes": _step(
            make_fake="    with torch.no_grad():\n        fake = G(torch.rand(real.shape[0], z_dim, device=real.device))"
        ),
        "fake count from the config": _step(
            make_fake="    with torch.no_grad():\n        fake = G(torch.randn(64, z_dim, device=real.device))[: real.shape[0]]"
        ),
        "ignores gp_weight": _step(weight="10.0"),
        "clips before the step": _step(
            update="""    if mode == "clip":
        clip_weights_(critic, c)
    opt_C.zero_grad()
    total.backward()
    opt_C.step()"""
        ),
        "never clears the gradients": _step(
            update="""    total.backward()
    opt_C.step()
    if mode == "clip":
        clip_weights_(critic, c)"""
        ),
        "returns the loss without the penalty": _step(
            returned='{"d_loss": loss.item(), "wasserstein": (real_scores.mean() - fake_scores.mean()).item(), "gp": None if gp is None else gp.item()}'
        ),
        "returns the weighted penalty": _step(
            returned='{"d_loss": total.item(), "wasserstein": (real_scores.mean() - fake_scores.mean()).item(), "gp": None if gp is None else (gp_weight * gp).item()}'
        ),
        "gp 0.0 in clip mode": _step(
            returned='{"d_loss": total.item(), "wasserstein": (real_scores.mean() - fake_scores.mean()).item(), "gp": 0.0 if gp is None else gp.item()}'
        ),
        "wasserstein with the wrong sign": _step(
            returned='{"d_loss": total.item(), "wasserstein": (fake_scores.mean() - real_scores.mean()).item(), "gp": None if gp is None else gp.item()}'
        ),
        "returns tensors": _step(
            returned='{"d_loss": total.detach(), "wasserstein": (real_scores.mean() - fake_scores.mean()).detach(), "gp": None if gp is None else gp.detach()}'
        ),
        "leaves G in eval mode": _step(
            make_fake="    G.eval()\n    with torch.no_grad():\n        fake = G(torch.randn(real.shape[0], z_dim, device=real.device))"
        ),
        "calls the reference": """
from helpers.wgan import critic_step
""",
        "delegates to the course's fast step": """
from helpers.wgan import FastCriticStep
def critic_step(G, critic, opt_G, opt_C, real, z_dim, mode="gp", c=0.01, gp_weight=10.0):
    logs = FastCriticStep(mode, c=c, gp_weight=gp_weight)(G, critic, opt_G, opt_C, real, z_dim=z_dim)
    return {key: None if value is None else value.item() for key, value in logs.items()}
""",
    },
    "test_frechet_distance": {
        "a tiny ridge added to the caller's covariances in place": _fd().replace(
            "    eigenvalues, vectors = torch.linalg.eigh(cov1)",
            "    cov1.diagonal().add_(1e-12)  # keep the roots positive definite\n"
            "    cov2.diagonal().add_(1e-12)\n"
            "    eigenvalues, vectors = torch.linalg.eigh(cov1)",
        ),
        "forgets the factor 2": _fd(
            distance="(mu1 - mu2).square().sum() + cov1.trace() + cov2.trace() - trace_root"
        ),
        "wrong sign of the trace term": _fd(
            distance="(mu1 - mu2).square().sum() + cov1.trace() + cov2.trace() + 2 * trace_root"
        ),
        "norm of the mean difference, not its square": _fd(
            distance="(mu1 - mu2).norm() + cov1.trace() + cov2.trace() - 2 * trace_root"
        ),
        "returns the distance, not its square": _fd(
            distance="((mu1 - mu2).square().sum() + cov1.trace() + cov2.trace() - 2 * trace_root)"
            ".clamp(min=0).sqrt()"
        ),
        "trace of the root of the elementwise product": """
def frechet_distance(mu1, cov1, mu2, cov2):
    trace_root = (cov1 * cov2).clamp(min=0).sqrt().trace()
    return (mu1 - mu2).square().sum() + cov1.trace() + cov2.trace() - 2 * trace_root
""",
        "eigvalsh of the non-symmetric product S1 S2": """
def frechet_distance(mu1, cov1, mu2, cov2):
    trace_root = torch.linalg.eigvalsh(cov1 @ cov2).clamp(min=0).sqrt().sum()
    return (mu1 - mu2).square().sum() + cov1.trace() + cov2.trace() - 2 * trace_root
""",
        "square root of S1 S2 in complex arithmetic": """
def frechet_distance(mu1, cov1, mu2, cov2):
    trace_root = torch.linalg.eigvals(cov1 @ cov2).sqrt().sum()
    return (mu1 - mu2).square().sum() + cov1.trace() + cov2.trace() - 2 * trace_root
""",
        "real parts of the eigenvalues of S1 S2, not clamped (NaN)": """
def frechet_distance(mu1, cov1, mu2, cov2):
    trace_root = torch.linalg.eigvals(cov1 @ cov2).real.sqrt().sum()
    return (mu1 - mu2).square().sum() + cov1.trace() + cov2.trace() - 2 * trace_root
""",
        "eigenvalues of S1 not clamped (NaN)": _fd(root_values="eigenvalues.sqrt()"),
        "squares the covariances as if they were standard deviations": _fd(
            distance="(mu1 - mu2).square().sum() + (cov1 @ cov1).trace() + (cov2 @ cov2).trace()"
            " - 2 * trace_root"
        ),
    },
}

RIGHT = {
    "test_critic_loss": {
        "negated difference": """
def critic_loss(real_scores, fake_scores):
    return -(real_scores.mean() - fake_scores.mean())
""",
        "torch.mean calls": """
def critic_loss(real_scores, fake_scores):
    return torch.mean(fake_scores) - torch.mean(real_scores)
""",
        "flattened first": """
def critic_loss(real_scores, fake_scores):
    return fake_scores.view(-1).mean() - real_scores.view(-1).mean()
""",
    },
    "test_generator_loss": {
        "torch.mean and a minus sign": """
def generator_loss(fake_scores):
    return -torch.mean(fake_scores)
""",
        "negated sum over the count": """
def generator_loss(fake_scores):
    return -fake_scores.sum() / fake_scores.numel()
""",
        "flattened first": """
def generator_loss(fake_scores):
    return fake_scores.reshape(-1).mean().neg()
""",
    },
    "test_clip_weights_": {
        "torch._foreach clamps over all parameters": """
def clip_weights_(critic, c=0.01):
    params = [p for p in critic.parameters()]
    with torch.no_grad():
        torch._foreach_clamp_min_(params, -c)
        torch._foreach_clamp_max_(params, c)
""",
        "p.data.clamp_": """
def clip_weights_(critic, c=0.01):
    for p in critic.parameters():
        p.data.clamp_(-c, c)
""",
        "copy_ of a clamped copy": """
def clip_weights_(critic, c=0.01):
    with torch.no_grad():
        for p in critic.parameters():
            p.copy_(torch.clamp(p, min=-c, max=c))
""",
        "named_parameters and torch.clamp out=": """
@torch.no_grad()
def clip_weights_(critic, c=0.01):
    for _, p in critic.named_parameters():
        torch.clamp(p, -c, c, out=p)
    return None
""",
    },
    "test_interpolate": {
        "torch.lerp from fake to real": """
def interpolate(real, fake, alpha):
    return torch.lerp(fake, real, alpha)
""",
        "fake plus a step towards real": """
def interpolate(real, fake, alpha):
    return fake + alpha * (real - fake)
""",
        "expanded alpha": """
def interpolate(real, fake, alpha):
    a = alpha.expand_as(real)
    return a * real + (1.0 - a) * fake
""",
    },
    "test_gradient_penalty": {
        "x_hat cloned from a lerp, grad_outputs given, mean of squares": """
def gradient_penalty(critic, real, fake, alpha=None):
    n = real.size(0)
    if alpha is None:
        alpha = torch.rand([n] + [1] * (real.dim() - 1), device=real.device, dtype=real.dtype)
    x_hat = torch.lerp(fake.detach(), real.detach(), alpha).clone().requires_grad_()
    out = critic(x_hat)
    grad = torch.autograd.grad(out, x_hat, grad_outputs=torch.ones_like(out), create_graph=True)[0]
    slopes = grad.flatten(start_dim=1).pow(2).sum(dim=1).sqrt()
    return (slopes - 1).pow(2).mean()
""",
        "sqrt of the sum of squares": _gp(
            norms="torch.sqrt((grad.reshape(n, -1) ** 2).sum(dim=1))"
        ),
        "torch.linalg.vector_norm and rand_like": _gp(
            draw="        alpha = torch.rand_like(real[:, :1, ...].reshape(n, -1)[:, :1]).reshape(n, *[1] * (real.dim() - 1))",
            norms="torch.linalg.vector_norm(grad.flatten(start_dim=1), dim=1)",
        ),
        "grad_outputs of ones and an explicit view": """
def gradient_penalty(critic, real, fake, alpha=None):
    n = real.size(0)
    if alpha is None:
        alpha = torch.empty([n] + [1] * (real.dim() - 1), device=real.device).uniform_(0, 1)
    x_hat = (alpha * real.detach() + (1 - alpha) * fake.detach()).requires_grad_()
    out = critic(x_hat)
    grad = torch.autograd.grad(outputs=out, inputs=x_hat, grad_outputs=torch.ones_like(out),
                               create_graph=True, retain_graph=True)[0]
    grad = grad.view(n, -1)
    return ((grad.norm(2, dim=1) - 1) ** 2).mean()
""",
    },
    "test_critic_step": {
        "penalty arguments as (fake, real), fakes from a volatile Variable (a deprecation warning)": """
from torch.autograd import Variable
def critic_step(G, critic, opt_G, opt_C, real, z_dim, mode="gp", c=0.01, gp_weight=10.0):
    noise = Variable(torch.randn(real.size(0), z_dim, device=real.device), volatile=True)  # old API: no effect
    fake = G(noise).detach()
    d_real, d_fake = critic(real).mean(), critic(fake).mean()
    loss = d_fake - d_real
    penalty = None
    if mode == "gp":
        penalty = gradient_penalty(critic, fake, real)  # interpolation is symmetric in distribution
        loss = loss + gp_weight * penalty
    opt_C.zero_grad()
    loss.backward()
    opt_C.step()
    if mode == "clip":
        clip_weights_(critic, c=c)
    return {"d_loss": float(loss), "wasserstein": float(d_real - d_fake),
            "gp": float(penalty) if penalty is not None else None}
""",
        "critic in train mode for its update, then back to its mode": """
def critic_step(G, critic, opt_G, opt_C, real, z_dim, mode="gp", c=0.01, gp_weight=10.0):
    was_training = critic.training
    critic.train()
    with torch.no_grad():
        fake = G(torch.randn(real.shape[0], z_dim, device=real.device))
    real_scores, fake_scores = critic(real), critic(fake)
    total = critic_loss(real_scores, fake_scores)
    gp = gradient_penalty(critic, real, fake) if mode == "gp" else None
    if gp is not None:
        total = total + gp_weight * gp
    opt_C.zero_grad()
    total.backward()
    opt_C.step()
    if mode == "clip":
        clip_weights_(critic, c)
    critic.train(was_training)
    gap = real_scores.detach().mean() - fake_scores.detach().mean()
    return {"d_loss": total.item(), "wasserstein": gap.item(), "gp": None if gp is None else gp.item()}
""",
        "detached fakes and zero_grad(set_to_none=True)": _step(
            make_fake="    fake = G(torch.randn(real.size(0), z_dim, device=real.device)).detach()",
            update="""    opt_C.zero_grad(set_to_none=True)
    total.backward()
    opt_C.step()
    if mode == "clip":
        clip_weights_(critic, c)""",
        ),
        "separate branches per mode": """
def critic_step(G, critic, opt_G, opt_C, real, z_dim, mode="gp", c=0.01, gp_weight=10.0):
    with torch.no_grad():
        fake = G(torch.randn(len(real), z_dim, device=real.device))
    opt_C.zero_grad()
    real_scores = critic(real)
    fake_scores = critic(fake)
    w = real_scores.mean() - fake_scores.mean()
    if mode == "clip":
        loss = critic_loss(real_scores, fake_scores)
        loss.backward()
        opt_C.step()
        clip_weights_(critic, c=c)
        return {"d_loss": float(loss), "wasserstein": float(w), "gp": None}
    gp = gradient_penalty(critic, real, fake)
    loss = critic_loss(real_scores, fake_scores) + gp_weight * gp
    loss.backward()
    opt_C.step()
    return {"d_loss": float(loss), "wasserstein": float(w), "gp": float(gp)}
""",
        "critic module zero_grad, scores of one concatenated batch": """
def critic_step(G, critic, opt_G, opt_C, real, z_dim, mode="gp", c=0.01, gp_weight=10.0):
    n = real.shape[0]
    z = torch.randn(n, z_dim, device=real.device)
    with torch.no_grad():
        fake = G(z)
    scores = critic(torch.cat([real, fake]))
    real_scores, fake_scores = scores[:n], scores[n:]
    total = critic_loss(real_scores, fake_scores)
    gp = gradient_penalty(critic, real, fake) if mode == "gp" else None
    if gp is not None:
        total = total + gp_weight * gp
    critic.zero_grad()
    total.backward()
    opt_C.step()
    if mode == "clip":
        clip_weights_(critic, c)
    return {"d_loss": total.item(), "wasserstein": (real_scores.mean() - fake_scores.mean()).item(),
            "gp": gp.item() if gp is not None else None}
""",
    },
    "test_frechet_distance": {
        "root of S2 first": """
def frechet_distance(mu1, cov1, mu2, cov2):
    values, vectors = torch.linalg.eigh(cov2)
    root2 = vectors * values.clamp(min=0).sqrt() @ vectors.T
    trace_root = torch.linalg.eigvalsh(root2 @ cov1 @ root2).clamp(min=0).sqrt().sum()
    return ((mu2 - mu1) ** 2).sum() + torch.trace(cov1 + cov2) - 2 * trace_root
""",
        "Newton-Schulz iteration for the square root": """
def frechet_distance(mu1, cov1, mu2, cov2):
    values, vectors = torch.linalg.eigh(cov1)
    root1 = vectors @ torch.diag(values.clamp(min=0).sqrt()) @ vectors.T
    middle = root1 @ cov2 @ root1
    norm = torch.linalg.matrix_norm(middle)
    eye = torch.eye(middle.shape[0], dtype=middle.dtype, device=middle.device)
    y, z = middle / norm, eye
    for _ in range(40):
        t = 0.5 * (3 * eye - z @ y)
        y, z = y @ t, t @ z
    trace_root = norm.sqrt() * y.trace()
    return (mu1 - mu2).square().sum() + cov1.trace() + cov2.trace() - 2 * trace_root
""",
        "sum of square roots of the real eigenvalues of S1 S2, clamped": """
def frechet_distance(mu1, cov1, mu2, cov2):
    eigenvalues = torch.linalg.eigvals(cov1 @ cov2).real.clamp(min=0)
    return (mu1 - mu2).square().sum() + cov1.trace() + cov2.trace() - 2 * eigenvalues.sqrt().sum()
""",
        "nuclear norm of S1^(1/2) S2^(1/2)": """
def _root(cov):
    values, vectors = torch.linalg.eigh(cov)
    return vectors @ torch.diag(values.clamp(min=0).sqrt()) @ vectors.T


def frechet_distance(mu1, cov1, mu2, cov2):
    trace_root = torch.linalg.matrix_norm(_root(cov1) @ _root(cov2), ord="nuc")
    diff = mu1 - mu2
    return diff @ diff + cov1.trace() + cov2.trace() - 2 * trace_root
""",
    },
}

# (exercise, (earlier exercise, its wrong variant), right variant of the exercise that uses the
# student's earlier function, or None): the exercise must keep its points despite the mistake.
INDEPENDENT = [
    ("test_critic_step", ("test_critic_loss", "sign flipped"), None),
    ("test_critic_step", ("test_gradient_penalty", "no square"), None),
    ("test_critic_step", ("test_clip_weights_", "weights only, not biases"), None),
    ("test_gradient_penalty", ("test_interpolate", "real and fake swapped"), None),
]

# Correct variants that raise a warning while the checks run: they keep their points, and the
# test cell notes the warning on stdout (nbgrader scores a cell with stderr output 0).
WARNING = [
    (
        "test_critic_step",
        "penalty arguments as (fake, real), fakes from a volatile Variable (a deprecation warning)",
    ),
]

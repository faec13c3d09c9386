"""Implementations of Lesson 3's exercises that students plausibly write.

``WRONG[grade_id]`` must each fail that test cell (visible or hidden part); ``RIGHT[grade_id]``
are correct alternatives to the master solution that must pass it. Each entry is source code
executed in the notebook's namespace (torch, nn and F are imported by the setup cell),
replacing the student's definition of that exercise.
"""

import functools

from variants.templates import fill

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
    x_hat: str = "(alpha * real.detach() + (1 - alpha) * fake.detach()).requires_grad_(True)",
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


_GENERATOR = """
class ConvGenerator(nn.Module):
    def __init__(self, z_dim=100, img_channels=1, base_channels=64):
        super().__init__()
        b = base_channels
        w1, w2, w3 = {widths}
        self.width = w1
        self.project = nn.Sequential(nn.Linear(z_dim, w1 * 16, bias={bias}), {unit1})
        self.body = nn.Sequential(
            nn.ConvTranspose2d(w1, w2, 4, stride=2, padding={padding}, bias={bias}), {unit2},
            nn.ConvTranspose2d(w2, w3, 4, stride=2, padding={padding}, bias={bias}), {unit3},
            nn.ConvTranspose2d(w3, img_channels, 4, stride=2, padding={padding}), {out_act},
        )

    def forward(self, z):
        x = {reshape}
        return self.body(x)
"""
_GENERATOR_PARTS = {
    "widths": "(4 * b, 2 * b, b)",
    "bias": "False",  # of the layers before batch norm
    "padding": "1",
    "unit1": "nn.BatchNorm1d(w1 * 16), nn.ReLU()",
    "unit2": "nn.BatchNorm2d(w2), nn.ReLU()",
    "unit3": "nn.BatchNorm2d(w3), nn.ReLU()",
    "out_act": "nn.Tanh()",
    "reshape": "self.project(z).reshape(-1, self.width, 4, 4)",
}


# a whole submission with some of its parts changed
_conv_generator = functools.partial(fill, _GENERATOR, _GENERATOR_PARTS)


_CRITIC = """
class ConvCritic(nn.Module):
    def __init__(self, img_channels=1, base_channels=64, spectral_norm=False):
        super().__init__()
        wrap = nn.utils.parametrizations.spectral_norm if spectral_norm else (lambda layer: layer)
        head_wrap = {head_wrap} if spectral_norm else wrap
        b = base_channels
        w1, w2, w3 = {widths}
        self.body = nn.Sequential(
            wrap(nn.Conv2d(img_channels, w1, 4, stride=2, padding={padding}, bias={bias})), {act},
            wrap(nn.Conv2d(w1, w2, 4, stride=2, padding={padding}, bias={bias})), {norm_a}, {act},
            wrap(nn.Conv2d(w2, w3, 4, stride=2, padding={padding}, bias={bias})), {norm_b}, {act},
        )
        self.head = head_wrap(nn.Linear(w3 * 4 * 4, 1, bias={bias}))
        self.out = {out_act}

    def forward(self, x):
        h = self.body(x)
        return self.out(self.head({flatten}))
"""
_CRITIC_PARTS = {
    "widths": "(b, 2 * b, 4 * b)",
    "padding": "1",
    "bias": "True",
    "act": "nn.LeakyReLU(0.2)",
    "norm_a": "nn.Identity()",
    "norm_b": "nn.Identity()",
    "out_act": "nn.Identity()",
    "head_wrap": "wrap",
    "flatten": "h.flatten(1)",
}


# a whole submission with some of its parts changed
_conv_critic = functools.partial(fill, _CRITIC, _CRITIC_PARTS)


_CRITIC_LOSS = """
def critic_loss(real_scores, fake_scores):
    return fake_scores.mean() - real_scores.mean()
"""
_GENERATOR_LOSS = """
def generator_loss(fake_scores):
    return -fake_scores.mean()
"""


WRONG = {
    "test_conv_generator": {
        "biases before batch norm": _conv_generator(bias="True"),
        "padding 0 in the transposed convolutions": _conv_generator(padding="0"),
        "no batch norm": _conv_generator(unit1="nn.ReLU()", unit2="nn.ReLU()", unit3="nn.ReLU()"),
        "ReLU before batch norm": _conv_generator(
            unit1="nn.ReLU(), nn.BatchNorm1d(w1 * 16)",
            unit2="nn.ReLU(), nn.BatchNorm2d(w2)",
            unit3="nn.ReLU(), nn.BatchNorm2d(w3)",
        ),
        "no Tanh at the output": _conv_generator(out_act="nn.Identity()"),
        "Sigmoid at the output": _conv_generator(out_act="nn.Sigmoid()"),
        "ReLU then Tanh at the output": _conv_generator(
            out_act="nn.Sequential(nn.ReLU(), nn.Tanh())"
        ),
        "batch norm and ReLU after the last layer too": _conv_generator(
            out_act="nn.Sequential(nn.BatchNorm2d(img_channels), nn.ReLU(), nn.Tanh())"
        ),
        "channels rising instead of falling": _conv_generator(widths="(b, 2 * b, 4 * b)"),
        "reshaped channels last": _conv_generator(
            reshape="self.project(z).reshape(-1, 4, 4, self.width).permute(0, 3, 1, 2)"
        ),
        "calls the reference": """
from helpers.wgan import ConvGenerator
""",
    },
    "test_conv_critic": {
        "batch norm after the convolutions": _conv_critic(
            norm_a="nn.BatchNorm2d(2 * b)", norm_b="nn.BatchNorm2d(4 * b)"
        ),
        "batch norm without its own parameters (affine=False)": _conv_critic(
            norm_a="nn.BatchNorm2d(2 * b, affine=False)",
            norm_b="nn.BatchNorm2d(4 * b, affine=False)",
        ),
        "padding 0": _conv_critic(padding="0"),
        "no biases": _conv_critic(bias="False"),
        "ReLU instead of LeakyReLU(0.2)": _conv_critic(act="nn.ReLU()"),
        "LeakyReLU with the default slope 0.01": _conv_critic(act="nn.LeakyReLU()"),
        "Sigmoid on the score": _conv_critic(out_act="torch.sigmoid"),
        "LeakyReLU after the linear layer": _conv_critic(out_act="nn.LeakyReLU(0.2)"),
        "channels falling instead of rising": _conv_critic(widths="(4 * b, 2 * b, b)"),
        "spectral norm on the convolutions only": _conv_critic(head_wrap="lambda layer: layer"),
        "flattened channels last": _conv_critic(flatten="h.permute(0, 2, 3, 1).flatten(1)"),
    },
    "test_wasserstein_losses": {
        "critic_loss: sign flipped": """
def critic_loss(real_scores, fake_scores):
    return real_scores.mean() - fake_scores.mean()
"""
        + _GENERATOR_LOSS,
        "critic_loss: one mean over both batches": """
def critic_loss(real_scores, fake_scores):
    return torch.cat([fake_scores, -real_scores]).mean()
"""
        + _GENERATOR_LOSS,
        "critic_loss: sums instead of means": """
def critic_loss(real_scores, fake_scores):
    return fake_scores.sum() - real_scores.sum()
"""
        + _GENERATOR_LOSS,
        "critic_loss: BCE with logits": """
def critic_loss(real_scores, fake_scores):
    return (F.binary_cross_entropy_with_logits(real_scores, torch.ones_like(real_scores))
            + F.binary_cross_entropy_with_logits(fake_scores, torch.zeros_like(fake_scores)))
"""
        + _GENERATOR_LOSS,
        "critic_loss: sigmoid on the scores": """
def critic_loss(real_scores, fake_scores):
    return torch.sigmoid(fake_scores).mean() - torch.sigmoid(real_scores).mean()
"""
        + _GENERATOR_LOSS,
        "critic_loss: returns a float": """
def critic_loss(real_scores, fake_scores):
    return (fake_scores.mean() - real_scores.mean()).item()
"""
        + _GENERATOR_LOSS,
        "generator_loss: sign flipped": _CRITIC_LOSS
        + """
def generator_loss(fake_scores):
    return fake_scores.mean()
""",
        "generator_loss: sum instead of mean": _CRITIC_LOSS
        + """
def generator_loss(fake_scores):
    return -fake_scores.sum()
""",
        "generator_loss: non-saturating BCE": _CRITIC_LOSS
        + """
def generator_loss(fake_scores):
    return F.binary_cross_entropy_with_logits(fake_scores, torch.ones_like(fake_scores))
""",
        "generator_loss: detached": _CRITIC_LOSS
        + """
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
    "test_gradient_penalty": {
        "critic put in eval mode for the penalty, then in train mode": """
def gradient_penalty(critic, real, fake, alpha=None):
    n = real.shape[0]
    if alpha is None:
        alpha = torch.rand(n, *[1] * (real.dim() - 1), device=real.device)
    x_hat = (alpha * real.detach() + (1 - alpha) * fake.detach()).requires_grad_(True)
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
            x_hat="alpha * real + (1 - alpha) * fake\n    x_hat.retain_grad()"
        ),
        "norm over the channel dimension only": _gp(
            norms="grad.norm(2, dim=1).reshape(n, -1).mean(1)"
        ),
        "squared norm": _gp(norms="(grad.reshape(n, -1) ** 2).sum(1)"),
        "real and fake swapped in x_hat": _gp(
            x_hat="(alpha * fake.detach() + (1 - alpha) * real.detach()).requires_grad_(True)"
        ),
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
    "test_conv_generator": {
        "separate attributes and an explicit forward": """
class ConvGenerator(nn.Module):
    def __init__(self, z_dim=100, img_channels=1, base_channels=64):
        super().__init__()
        b = base_channels
        self.b = b
        self.fc = nn.Linear(z_dim, 4 * b * 16, bias=False)
        self.bn0 = nn.BatchNorm1d(4 * b * 16)
        self.up1 = nn.ConvTranspose2d(4 * b, 2 * b, kernel_size=4, stride=2, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(2 * b)
        self.up2 = nn.ConvTranspose2d(2 * b, b, kernel_size=4, stride=2, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(b)
        self.up3 = nn.ConvTranspose2d(b, img_channels, kernel_size=4, stride=2, padding=1)

    def forward(self, z):
        x = F.relu(self.bn0(self.fc(z)))
        x = x.view(z.shape[0], 4 * self.b, 4, 4)
        x = F.relu(self.bn1(self.up1(x)))
        x = F.relu(self.bn2(self.up2(x)))
        return torch.tanh(self.up3(x))
""",
        "one nn.Sequential with nn.Unflatten": """
class ConvGenerator(nn.Module):
    def __init__(self, z_dim=100, img_channels=1, base_channels=64):
        super().__init__()
        b = base_channels
        self.net = nn.Sequential(
            nn.Linear(z_dim, 4 * b * 4 * 4, bias=False),
            nn.BatchNorm1d(4 * b * 4 * 4),
            nn.ReLU(inplace=True),
            nn.Unflatten(1, (4 * b, 4, 4)),
            nn.ConvTranspose2d(4 * b, 2 * b, 4, 2, 1, bias=False),
            nn.BatchNorm2d(2 * b),
            nn.ReLU(inplace=True),
            nn.ConvTranspose2d(2 * b, b, 4, 2, 1, bias=False),
            nn.BatchNorm2d(b),
            nn.ReLU(inplace=True),
            nn.ConvTranspose2d(b, img_channels, 4, 2, 1),
            nn.Tanh(),
        )

    def forward(self, z):
        return self.net(z)
""",
        "a ModuleList of up-blocks built in a loop": """
class ConvGenerator(nn.Module):
    def __init__(self, z_dim=100, img_channels=1, base_channels=64):
        super().__init__()
        widths = [4 * base_channels, 2 * base_channels, base_channels]
        self.first = widths[0]
        self.project = nn.Sequential(nn.Linear(z_dim, widths[0] * 16, bias=False),
                                     nn.BatchNorm1d(widths[0] * 16), nn.ReLU())
        self.ups = nn.ModuleList()
        for c_in, c_out in zip(widths[:-1], widths[1:]):
            self.ups.append(nn.Sequential(nn.ConvTranspose2d(c_in, c_out, 4, stride=2, padding=1, bias=False),
                                          nn.BatchNorm2d(c_out), nn.ReLU()))
        self.to_image = nn.ConvTranspose2d(widths[-1], img_channels, 4, stride=2, padding=1)

    def forward(self, z):
        x = self.project(z).reshape(len(z), self.first, 4, 4)
        for up in self.ups:
            x = up(x)
        return self.to_image(x).tanh()
""",
    },
    "test_conv_critic": {
        "separate attributes, F.leaky_relu and a view": """
class ConvCritic(nn.Module):
    def __init__(self, img_channels=1, base_channels=64, spectral_norm=False):
        super().__init__()
        sn = torch.nn.utils.parametrizations.spectral_norm if spectral_norm else (lambda m: m)
        b = base_channels
        self.c1 = sn(nn.Conv2d(img_channels, b, kernel_size=4, stride=2, padding=1))
        self.c2 = sn(nn.Conv2d(b, 2 * b, kernel_size=4, stride=2, padding=1))
        self.c3 = sn(nn.Conv2d(2 * b, 4 * b, kernel_size=4, stride=2, padding=1))
        self.fc = sn(nn.Linear(4 * b * 16, 1))

    def forward(self, x):
        x = F.leaky_relu(self.c1(x), 0.2)
        x = F.leaky_relu(self.c2(x), 0.2)
        x = F.leaky_relu(self.c3(x), 0.2)
        return self.fc(x.view(x.size(0), -1))
""",
        "one nn.Sequential with nn.Flatten": """
class ConvCritic(nn.Module):
    def __init__(self, img_channels=1, base_channels=64, spectral_norm=False):
        super().__init__()
        b = base_channels
        layers = [nn.Conv2d(img_channels, b, 4, 2, 1), nn.Conv2d(b, 2 * b, 4, 2, 1),
                  nn.Conv2d(2 * b, 4 * b, 4, 2, 1), nn.Linear(4 * b * 4 * 4, 1)]
        if spectral_norm:
            layers = [nn.utils.parametrizations.spectral_norm(layer) for layer in layers]
        self.net = nn.Sequential(layers[0], nn.LeakyReLU(0.2, inplace=True), layers[1],
                                 nn.LeakyReLU(0.2, inplace=True), layers[2], nn.LeakyReLU(0.2, inplace=True),
                                 nn.Flatten(), layers[3])

    def forward(self, x):
        return self.net(x)
""",
        "the older torch.nn.utils.spectral_norm": """
class ConvCritic(nn.Module):
    def __init__(self, img_channels=1, base_channels=64, spectral_norm=False):
        super().__init__()
        wrap = nn.utils.spectral_norm if spectral_norm else (lambda m: m)
        b = base_channels
        self.convs = nn.ModuleList([wrap(nn.Conv2d(c_in, c_out, 4, stride=2, padding=1))
                                    for c_in, c_out in [(img_channels, b), (b, 2 * b), (2 * b, 4 * b)]])
        self.linear = wrap(nn.Linear(64 * b, 1))

    def forward(self, x):
        for conv in self.convs:
            x = nn.functional.leaky_relu(conv(x), negative_slope=0.2)
        return self.linear(torch.flatten(x, 1))
""",
    },
    "test_wasserstein_losses": {
        "critic_loss: negated difference; generator_loss: torch.mean and a minus sign": """
def critic_loss(real_scores, fake_scores):
    return -(real_scores.mean() - fake_scores.mean())
def generator_loss(fake_scores):
    return -torch.mean(fake_scores)
""",
        "critic_loss: torch.mean calls; generator_loss: negated sum over the count": """
def critic_loss(real_scores, fake_scores):
    return torch.mean(fake_scores) - torch.mean(real_scores)
def generator_loss(fake_scores):
    return -fake_scores.sum() / fake_scores.numel()
""",
        "critic_loss: flattened first; generator_loss: flattened first": """
def critic_loss(real_scores, fake_scores):
    return fake_scores.view(-1).mean() - real_scores.view(-1).mean()
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
    ("test_critic_step", ("test_wasserstein_losses", "critic_loss: sign flipped"), None),
    ("test_critic_step", ("test_gradient_penalty", "no square"), None),
    ("test_critic_step", ("test_clip_weights_", "weights only, not biases"), None),
]

# Correct variants that raise a warning while the checks run: they keep their points, and the
# test cell notes the warning on stdout (nbgrader scores a cell with stderr output 0).
WARNING = [
    (
        "test_critic_step",
        "penalty arguments as (fake, real), fakes from a volatile Variable (a deprecation warning)",
    ),
]

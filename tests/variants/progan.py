"""Implementations of Lesson 4's exercises that students plausibly write.

``WRONG[grade_id]`` must each fail that test cell (visible or hidden part); ``RIGHT[grade_id]``
are correct alternatives to the master solution that must pass it. Each entry is source code
executed in the notebook's namespace (math, torch, nn, F, progan, upsample and downsample are
imported by the setup cell), replacing the student's definition of that exercise.
"""

_MBSTD = """
def minibatch_stddev(x, group_size=4):
    n, c, h, w = x.shape
    g = min(group_size, n)
    if n % g:
        raise ValueError(f"batch size {n} is not divisible by the group size {g}")
{body}
"""


def _mbstd(body: str) -> str:
    return _MBSTD.replace("{body}", body)


_EQ = """
class EqualizedLinear(nn.Module):
    def __init__(self, in_features, out_features, bias=True, bias_init=0.0, gain=2**0.5):
        super().__init__()
{linear_init}
    def forward(self, x):
{linear_forward}


class EqualizedConv2d(nn.Module):
    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, bias=True, gain=2**0.5):
        super().__init__()
{conv_init}
        self.stride, self.padding = stride, padding
    def forward(self, x):
{conv_forward}
"""

_LINEAR_INIT = """        self.weight = nn.Parameter(torch.randn(out_features, in_features))
        self.bias = nn.Parameter(torch.full((out_features,), float(bias_init))) if bias else None
        self.scale = gain / math.sqrt(in_features)"""
_LINEAR_FORWARD = """        return F.linear(x, self.weight * self.scale, self.bias)"""
_CONV_INIT = """        self.weight = nn.Parameter(torch.randn(out_channels, in_channels, kernel_size, kernel_size))
        self.bias = nn.Parameter(torch.zeros(out_channels)) if bias else None
        self.scale = gain / math.sqrt(in_channels * kernel_size * kernel_size)"""
_CONV_FORWARD = """        return F.conv2d(x, self.weight * self.scale, self.bias, stride=self.stride, padding=self.padding)"""


def _eq(
    linear_init: str = _LINEAR_INIT,
    linear_forward: str = _LINEAR_FORWARD,
    conv_init: str = _CONV_INIT,
    conv_forward: str = _CONV_FORWARD,
) -> str:
    return (
        _EQ.replace("{linear_init}", linear_init)
        .replace("{linear_forward}", linear_forward)
        .replace("{conv_init}", conv_init)
        .replace("{conv_forward}", conv_forward)
    )


_G = """
class ProGenerator(progan.ProGenerator):
    def forward(self, z, stage, alpha):
        self.check_input(z, stage, alpha)
        if stage == 0:
            return self.to_rgb[0](self.trunk(z, 0))
{body}
"""
_D = """
class ProDiscriminator(progan.ProDiscriminator):
    def forward(self, x, stage, alpha):
        self.check_input(x, stage, alpha)
        if stage == 0:
            return self.trunk(self.from_rgb[0](x), 0)
{body}
"""


def _g(body: str) -> str:
    return _G.replace("{body}", body)


def _d(body: str) -> str:
    return _D.replace("{body}", body)


WRONG = {
    "test_pixel_norm": {
        "normalised over the last dimension": """
def pixel_norm(x, eps=1e-8):
    return x / torch.sqrt(x.pow(2).mean(dim=-1, keepdim=True) + eps)
""",
        "divided by the L2 norm": """
def pixel_norm(x, eps=1e-8):
    return x / torch.sqrt(x.pow(2).sum(dim=1, keepdim=True) + eps)
""",
        "eps outside the square root": """
def pixel_norm(x, eps=1e-8):
    return x / (torch.sqrt(x.pow(2).mean(dim=1, keepdim=True)) + eps)
""",
        "eps ignored": """
def pixel_norm(x, eps=1e-8):
    return x / torch.sqrt(x.pow(2).mean(dim=1, keepdim=True) + 1e-8)
""",
        "F.normalize": """
def pixel_norm(x, eps=1e-8):
    return F.normalize(x, dim=1, eps=eps)
""",
        "standardised per pixel (mean removed)": """
def pixel_norm(x, eps=1e-8):
    x = x - x.mean(dim=1, keepdim=True)
    return x / torch.sqrt(x.pow(2).mean(dim=1, keepdim=True) + eps)
""",
        "normalised in place": """
def pixel_norm(x, eps=1e-8):
    x /= torch.sqrt(x.pow(2).mean(dim=1, keepdim=True) + eps)
    return x
""",
    },
    "test_minibatch_stddev": {
        "consecutive samples grouped": _mbstd("""    y = x.reshape(-1, g, c, h, w)
    y = torch.sqrt(((y - y.mean(dim=1, keepdim=True)) ** 2).mean(dim=1) + 1e-8)
    y = y.mean(dim=(1, 2, 3)).reshape(-1, 1, 1, 1)
    return torch.cat([x, y.repeat_interleave(g, dim=0).expand(n, 1, h, w)], dim=1)"""),
        "unbiased standard deviation": _mbstd("""    y = x.reshape(g, -1, c, h, w)
    y = torch.sqrt(y.var(dim=0, unbiased=True) + 1e-8)
    y = y.mean(dim=(1, 2, 3)).reshape(-1, 1, 1, 1)
    return torch.cat([x, y.repeat(g, 1, h, w)], dim=1)"""),
        "one value for the whole batch": _mbstd("""    y = torch.sqrt(((x - x.mean(dim=0)) ** 2).mean(dim=0) + 1e-8).mean()
    return torch.cat([x, y.expand(n, 1, h, w)], dim=1)"""),
        "1e-8 outside the square root": _mbstd("""    y = x.reshape(g, -1, c, h, w)
    y = torch.sqrt(((y - y.mean(dim=0)) ** 2).mean(dim=0)) + 1e-8
    y = y.mean(dim=(1, 2, 3)).reshape(-1, 1, 1, 1)
    return torch.cat([x, y.repeat(g, 1, h, w)], dim=1)"""),
        "std of the channel averages": _mbstd("""    y = x.mean(dim=(1, 2, 3)).reshape(g, -1)
    y = torch.sqrt(((y - y.mean(dim=0)) ** 2).mean(dim=0) + 1e-8).reshape(-1, 1, 1, 1)
    return torch.cat([x, y.repeat(g, 1, h, w)], dim=1)"""),
        "group size not capped by the batch": """
def minibatch_stddev(x, group_size=4):
    n, c, h, w = x.shape
    g = group_size
    if n % g:
        raise ValueError(f"batch size {n} is not divisible by the group size {g}")
    y = x.reshape(g, -1, c, h, w)
    y = torch.sqrt(((y - y.mean(dim=0)) ** 2).mean(dim=0) + 1e-8)
    y = y.mean(dim=(1, 2, 3)).reshape(-1, 1, 1, 1)
    return torch.cat([x, y.repeat(g, 1, h, w)], dim=1)
""",
        "height and width swapped in the new channel": _mbstd("""    y = x.reshape(g, -1, c, h, w)
    y = torch.sqrt(((y - y.mean(dim=0)) ** 2).mean(dim=0) + 1e-8)
    y = y.mean(dim=(1, 2, 3)).reshape(-1, 1, 1, 1)
    return torch.cat([x, y.repeat(g, 1, w, h)], dim=1)"""),
        "group mean subtracted in place": _mbstd("""    y = x.view(g, -1, c, h, w)
    y -= y.mean(dim=0, keepdim=True)
    y = torch.sqrt(y.pow(2).mean(dim=0) + 1e-8).mean(dim=(1, 2, 3))
    return torch.cat([x, y.view(-1, 1, 1, 1).repeat(g, 1, h, w)], dim=1)"""),
    },
    "test_equalized_layers": {
        "scaled once at initialisation": _eq(
            linear_init="""        self.weight = nn.Parameter(torch.randn(out_features, in_features) * gain / math.sqrt(in_features))
        self.bias = nn.Parameter(torch.full((out_features,), float(bias_init))) if bias else None""",
            linear_forward="""        return F.linear(x, self.weight, self.bias)""",
        ),
        "conv fan-in without the kernel area": _eq(
            conv_init="""        self.weight = nn.Parameter(torch.randn(out_channels, in_channels, kernel_size, kernel_size))
        self.bias = nn.Parameter(torch.zeros(out_channels)) if bias else None
        self.scale = gain / math.sqrt(in_channels)"""
        ),
        "fan-in from the output size": _eq(
            linear_init="""        self.weight = nn.Parameter(torch.randn(out_features, in_features))
        self.bias = nn.Parameter(torch.full((out_features,), float(bias_init))) if bias else None
        self.scale = gain / math.sqrt(out_features)"""
        ),
        "bias scaled too": _eq(
            linear_forward="""        return F.linear(x, self.weight * self.scale, None if self.bias is None else self.bias * self.scale)"""
        ),
        "gain ignored": _eq(
            conv_init="""        self.weight = nn.Parameter(torch.randn(out_channels, in_channels, kernel_size, kernel_size))
        self.bias = nn.Parameter(torch.zeros(out_channels)) if bias else None
        self.scale = math.sqrt(2 / (in_channels * kernel_size * kernel_size))"""
        ),
        "bias_init ignored": _eq(
            linear_init="""        self.weight = nn.Parameter(torch.randn(out_features, in_features))
        self.bias = nn.Parameter(torch.zeros(out_features)) if bias else None
        self.scale = gain / math.sqrt(in_features)"""
        ),
        "weight rescaled in place at every forward": _eq(
            linear_forward="""        with torch.no_grad():
            self.weight.mul_(self.scale)
        return F.linear(x, self.weight, self.bias)"""
        ),
        "default PyTorch initialisation": _eq(
            conv_init="""        self.weight = nn.Parameter(nn.Conv2d(in_channels, out_channels, kernel_size).weight.detach().clone())
        self.bias = nn.Parameter(torch.zeros(out_channels)) if bias else None
        self.scale = gain / math.sqrt(in_channels * kernel_size * kernel_size)"""
        ),
        "stride and padding ignored": _eq(
            conv_forward="""        return F.conv2d(x, self.weight * self.scale, self.bias, padding=self.padding)"""
        ),
        "weight rescaled in place at the first forward only": _eq(
            conv_forward="""        if not getattr(self, "scaled", False):
            with torch.no_grad():
                self.weight *= self.scale
            self.scaled = True
        return F.conv2d(x, self.weight, self.bias, stride=self.stride, padding=self.padding)"""
        ),
    },
    "test_fade_in": {
        "old and new swapped": """
def fade_in(old, new, alpha):
    return alpha * old + (1 - alpha) * new
""",
        "a hard switch at one half": """
def fade_in(old, new, alpha):
    return new if float(alpha) >= 0.5 else old
""",
        "the sum of both paths": """
def fade_in(old, new, alpha):
    return (1 - alpha) * old + new
""",
        "alpha detached": """
def fade_in(old, new, alpha):
    a = alpha.detach() if isinstance(alpha, torch.Tensor) else alpha
    return (1 - a) * old + a * new
""",
        "blended into old in place": """
def fade_in(old, new, alpha):
    old *= 1 - alpha
    old += alpha * new
    return old
""",
    },
    "test_alpha_schedule": {
        "integer division": """
def alpha_schedule(iteration, fade_iterations):
    if fade_iterations == 0:
        return 1.0
    return float(min(1, iteration // fade_iterations))
""",
        "not capped at 1": """
def alpha_schedule(iteration, fade_iterations):
    if fade_iterations == 0:
        return 1.0
    return iteration / fade_iterations
""",
        "divides by zero without a fade": """
def alpha_schedule(iteration, fade_iterations):
    return min(1.0, iteration / fade_iterations)
""",
        "zero without a fade": """
def alpha_schedule(iteration, fade_iterations):
    if fade_iterations == 0:
        return 0.0
    return min(1.0, iteration / fade_iterations)
""",
        "off by one": """
def alpha_schedule(iteration, fade_iterations):
    if fade_iterations == 0:
        return 1.0
    return min(1.0, (iteration + 1) / fade_iterations)
""",
        "returns a tensor": """
def alpha_schedule(iteration, fade_iterations):
    if fade_iterations == 0:
        return torch.tensor(1.0)
    return torch.tensor(min(1.0, iteration / fade_iterations))
""",
        "the int 1 once the fade is over": """
def alpha_schedule(iteration, fade_iterations):
    if fade_iterations == 0:
        return 1.0
    return min(1, iteration / fade_iterations)
""",
        "the int 1 without a fade": """
def alpha_schedule(iteration, fade_iterations):
    if not fade_iterations:
        return 1
    return min(1.0, iteration / fade_iterations)
""",
    },
    "test_progenerator_forward": {
        "old and new swapped": _g("""        h = self.trunk(z, stage - 1)
        old = upsample(self.to_rgb[stage - 1](h))
        new = self.to_rgb[stage](self.blocks[stage - 1](h))
        return fade_in(new, old, alpha)"""),
        "the new toRGB on the old path": _g("""        h = self.trunk(z, stage - 1)
        old = upsample(self.to_rgb[stage](h))
        new = self.to_rgb[stage](self.blocks[stage - 1](h))
        return fade_in(old, new, alpha)"""),
        "bilinear upsampling of the old path": _g("""        h = self.trunk(z, stage - 1)
        old = F.interpolate(self.to_rgb[stage - 1](h), scale_factor=2, mode="bilinear", align_corners=False)
        new = self.to_rgb[stage](self.blocks[stage - 1](h))
        return fade_in(old, new, alpha)"""),
        "features faded, one toRGB": _g("""        h = self.trunk(z, stage - 1)
        new_features = self.blocks[stage - 1](h)
        old_features = upsample(h)[:, : new_features.shape[1]]
        return self.to_rgb[stage](fade_in(old_features, new_features, alpha))"""),
        "no fade: the new path only": _g(
            """        return self.to_rgb[stage](self.trunk(z, stage))"""
        ),
        "calls the course's forward": _g(
            """        return progan.ProGenerator.forward(self, z, stage, alpha)"""
        ),
        "trunk features kept from the first call": _g("""        if getattr(self, "kept", None) is None or self.kept[0] != stage:
            self.kept = (stage, self.trunk(z, stage - 1))
        h = self.kept[1]
        old = upsample(self.to_rgb[stage - 1](h))
        return fade_in(old, self.to_rgb[stage](self.blocks[stage - 1](h)), alpha)"""),
    },
    "test_prodiscriminator_forward": {
        "old and new swapped": _d("""        old = self.from_rgb[stage - 1](downsample(x))
        new = self.blocks[stage - 1](self.from_rgb[stage](x))
        return self.trunk(fade_in(new, old, alpha), stage - 1)"""),
        "new fromRGB on the old path": _d("""        old = downsample(self.from_rgb[stage](x))
        new = self.blocks[stage - 1](self.from_rgb[stage](x))
        return self.trunk(fade_in(old, new, alpha), stage - 1)"""),
        "strided instead of averaged old path": _d("""        old = self.from_rgb[stage - 1](x[:, :, ::2, ::2])
        new = self.blocks[stage - 1](self.from_rgb[stage](x))
        return self.trunk(fade_in(old, new, alpha), stage - 1)"""),
        "images faded before fromRGB": _d("""        small = downsample(x)
        blended = fade_in(small, downsample(x), alpha)
        return self.trunk(self.from_rgb[stage - 1](blended), stage - 1)"""),
        "no fade: the new path only": _d(
            """        return self.trunk(self.from_rgb[stage](x), stage)"""
        ),
        "old path detached": _d("""        old = self.from_rgb[stage - 1](downsample(x)).detach()
        new = self.blocks[stage - 1](self.from_rgb[stage](x))
        return self.trunk(fade_in(old, new, alpha), stage - 1)"""),
        "calls the course's forward": _d(
            """        return progan.ProDiscriminator.forward(self, x, stage, alpha)"""
        ),
    },
}

RIGHT = {
    "test_pixel_norm": {
        "rsqrt": """
def pixel_norm(x, eps=1e-8):
    return x * torch.rsqrt(torch.mean(x * x, dim=1, keepdim=True) + eps)
""",
        "norm divided by sqrt(C)": """
def pixel_norm(x, eps=1e-8):
    c = x.shape[1]
    return x / torch.sqrt(x.norm(dim=1, keepdim=True) ** 2 / c + eps)
""",
        "square and mean as methods": """
def pixel_norm(x, eps=1e-8):
    denominator = (x.square().mean(1, keepdim=True) + eps).sqrt()
    return x / denominator
""",
    },
    "test_minibatch_stddev": {
        "torch.var with correction=0": _mbstd("""    y = x.view(g, n // g, c, h, w)
    std = torch.sqrt(torch.var(y, dim=0, correction=0) + 1e-8)
    value = std.mean(dim=[1, 2, 3])
    extra = value.repeat(g).view(n, 1, 1, 1).expand(n, 1, h, w)
    return torch.cat((x, extra), dim=1)"""),
        "index arithmetic": _mbstd("""    m = n // g
    groups = [x[i::m] for i in range(m)]
    values = torch.stack([torch.sqrt(grp.var(dim=0, unbiased=False) + 1e-8).mean() for grp in groups])
    extra = values[torch.arange(n, device=x.device) % m].reshape(n, 1, 1, 1).expand(n, 1, h, w)
    return torch.cat([x, extra], dim=1)"""),
        "the paper's code, step by step": _mbstd("""    y = x.reshape(g, -1, c, h, w).float()
    y = y - y.mean(dim=0, keepdim=True)
    y = y.square().mean(dim=0)
    y = (y + 1e-8).sqrt()
    y = y.mean(dim=[1, 2, 3], keepdim=True)
    y = y.repeat(g, 1, h, w)
    return torch.cat([x, y.to(x.dtype)], dim=1)"""),
    },
    "test_equalized_layers": {
        "scale computed in forward, register_parameter for no bias": _eq(
            linear_init="""        self.gain = gain
        self.weight = nn.Parameter(torch.randn(out_features, in_features))
        if bias:
            self.bias = nn.Parameter(torch.ones(out_features) * bias_init)
        else:
            self.register_parameter("bias", None)""",
            linear_forward="""        return F.linear(x, self.weight * (self.gain / self.weight.shape[1] ** 0.5), self.bias)""",
        ),
        "normal_ in place and a scale buffer": _eq(
            conv_init="""        self.weight = nn.Parameter(torch.empty(out_channels, in_channels, kernel_size, kernel_size).normal_(0.0, 1.0))
        self.bias = nn.Parameter(torch.zeros(out_channels)) if bias else None
        self.register_buffer("scale_", torch.tensor(gain / (in_channels * kernel_size**2) ** 0.5))""",
            conv_forward="""        return F.conv2d(x, self.weight * self.scale_, self.bias, self.stride, self.padding)""",
        ),
        "nn.functional with the input scaled instead": _eq(
            linear_forward="""        return F.linear(x * self.scale, self.weight, self.bias)"""
        ),
        "deprecated nn.init.normal (warns)": _eq(
            linear_init="""        self.weight = nn.Parameter(torch.empty(out_features, in_features))
        nn.init.normal(self.weight)
        self.bias = nn.Parameter(torch.full((out_features,), float(bias_init))) if bias else None
        self.scale = gain / math.sqrt(in_features)""",
            conv_init="""        self.weight = nn.Parameter(torch.empty(out_channels, in_channels, kernel_size, kernel_size))
        nn.init.normal(self.weight, 0.0, 1.0)
        self.bias = nn.Parameter(torch.zeros(out_channels)) if bias else None
        self.scale = gain / math.sqrt(in_channels * kernel_size * kernel_size)""",
        ),
    },
    "test_fade_in": {
        "torch.lerp": """
def fade_in(old, new, alpha):
    return torch.lerp(old, new, alpha) if isinstance(alpha, torch.Tensor) else torch.lerp(old, new, float(alpha))
""",
        "old plus a step towards new": """
def fade_in(old, new, alpha):
    return old + alpha * (new - old)
""",
        "alpha * new + (1 - alpha) * old": """
def fade_in(old, new, alpha):
    return alpha * new + (1.0 - alpha) * old
""",
    },
    "test_alpha_schedule": {
        "max(0, min(1, ...))": """
def alpha_schedule(iteration, fade_iterations):
    return 1.0 if not fade_iterations else max(0.0, min(1.0, iteration / fade_iterations))
""",
        "if/else chain": """
def alpha_schedule(iteration, fade_iterations):
    if fade_iterations <= 0 or iteration >= fade_iterations:
        return 1.0
    return iteration / float(fade_iterations)
""",
        "numpy clip": """
import numpy as np
def alpha_schedule(iteration, fade_iterations):
    if fade_iterations == 0:
        return 1.0
    return float(np.clip(iteration / fade_iterations, 0.0, 1.0))
""",
        "single-precision arithmetic": """
def alpha_schedule(iteration, fade_iterations):
    if fade_iterations == 0:
        return 1.0
    ratio = torch.tensor(iteration, dtype=torch.float32) / fade_iterations
    return ratio.clamp(max=1.0).item()
""",
        "a numpy float64": """
import numpy as np
def alpha_schedule(iteration, fade_iterations):
    if fade_iterations == 0:
        return np.float64(1.0)
    return np.minimum(np.float64(iteration) / fade_iterations, 1.0)
""",
    },
    "test_progenerator_forward": {
        "old plus a step towards new": _g("""        features = self.trunk(z, stage - 1)
        old = upsample(self.to_rgb[stage - 1](features))
        new = self.to_rgb[stage](self.blocks[stage - 1](features))
        return old + alpha * (new - old)"""),
        "F.interpolate nearest": _g("""        h = self.trunk(z, stage - 1)
        old = F.interpolate(self.to_rgb[stage - 1](h), scale_factor=2, mode="nearest")
        return fade_in(old, self.to_rgb[stage](self.blocks[stage - 1](h)), alpha)"""),
        "the trunk's blocks by hand": _g("""        h = self.input(z)
        for block in self.blocks[: stage - 1]:
            h = block(h)
        old = upsample(self.to_rgb[stage - 1](h))
        new = self.to_rgb[stage](self.blocks[stage - 1](h))
        return (1 - alpha) * old + alpha * new"""),
        "deprecated F.upsample_nearest (warns)": _g("""        h = self.trunk(z, stage - 1)
        old = F.upsample_nearest(self.to_rgb[stage - 1](h), scale_factor=2)
        new = self.to_rgb[stage](self.blocks[stage - 1](h))
        return fade_in(old, new, alpha)"""),
        "alpha copied with torch.tensor (warns for a tensor alpha)": _g("""        a = torch.tensor(alpha, dtype=z.dtype, device=z.device)
        h = self.trunk(z, stage - 1)
        old = upsample(self.to_rgb[stage - 1](h))
        new = self.to_rgb[stage](self.blocks[stage - 1](h))
        return (1 - a) * old + a * new"""),
    },
    "test_prodiscriminator_forward": {
        "F.avg_pool2d": _d("""        old = self.from_rgb[stage - 1](F.avg_pool2d(x, 2))
        new = self.blocks[stage - 1](self.from_rgb[stage](x))
        return self.trunk(fade_in(old, new, alpha), stage - 1)"""),
        "blend then the remaining blocks and the head by hand": _d("""        h = fade_in(self.from_rgb[stage - 1](downsample(x)), self.blocks[stage - 1](self.from_rgb[stage](x)), alpha)
        for k in range(stage - 1, 0, -1):
            h = self.blocks[k - 1](h)
        return self.head(h)"""),
        "lerp of the two paths": _d("""        old = self.from_rgb[stage - 1](downsample(x))
        new = self.blocks[stage - 1](self.from_rgb[stage](x))
        return self.trunk(old + alpha * (new - old), stage - 1)"""),
        "alpha copied with torch.tensor (warns for a tensor alpha)": _d("""        a = torch.tensor(alpha, dtype=x.dtype, device=x.device)
        blend = (1 - a) * self.from_rgb[stage - 1](downsample(x)) + a * self.blocks[stage - 1](self.from_rgb[stage](x))
        return self.trunk(blend, stage - 1)"""),
    },
}

# Right variants (grade id, name) that warn while the test cell runs (a deprecated call, a copy-construct): they
# must keep full marks, with a note on stdout and nothing on stderr, in tests/test_variants.py
# and in nbgrader's own scoring (tests/test_nbgrader.py submits them).
WARNING = [
    ("test_equalized_layers", "deprecated nn.init.normal (warns)"),
    ("test_progenerator_forward", "deprecated F.upsample_nearest (warns)"),
    ("test_prodiscriminator_forward", "alpha copied with torch.tensor (warns for a tensor alpha)"),
]

# (exercise, (earlier exercise, its wrong variant), right variant of the exercise that uses the
# student's earlier function, or None): the exercise must keep its points despite the mistake.
INDEPENDENT = [
    ("test_progenerator_forward", ("test_fade_in", "old and new swapped"), None),
    ("test_prodiscriminator_forward", ("test_fade_in", "old and new swapped"), None),
]

"""Implementations of Lesson 5's exercises that students plausibly write.

``WRONG[grade_id]`` must each fail that test cell (visible or hidden part); ``RIGHT[grade_id]``
are correct alternatives to the master solution that must pass it. Each entry is source code
executed in the notebook's namespace (torch, nn, F, pixel_norm, EqualizedLinear and
EqualizedConv2d are imported by the setup cell), replacing the student's definition.
"""

_MAPPING = """
class MappingNetwork(nn.Module):
    def __init__(self, z_dim=512, w_dim=512, num_layers=8):
        super().__init__()
        self.layers = nn.ModuleList({layer}(z_dim if i == 0 else w_dim, w_dim) for i in range(num_layers))

    def forward(self, z):
{body}
"""
_MAPPING_BODY = """        w = pixel_norm(z)
        for layer in self.layers:
            w = F.leaky_relu(layer(w), 0.2)
        return w"""


def _mapping(body: str = _MAPPING_BODY, layer: str = "EqualizedLinear") -> str:
    return _MAPPING.replace("{layer}", layer).replace("{body}", body)


_NOISE = """
class NoiseInjection(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.scale = nn.Parameter({init})
{setup}
    def forward(self, x, noise=None):
        if noise is None:
            noise = {draw}
        return x + {scaled}
"""


def _noise(
    init: str = "torch.zeros(1, channels, 1, 1)",
    draw: str = "torch.randn(x.shape[0], 1, x.shape[2], x.shape[3], device=x.device)",
    scaled: str = "self.scale * noise",
    setup: str = "",
) -> str:
    return (
        _NOISE.replace("{init}", init)
        .replace("{setup}", setup)
        .replace("{draw}", draw)
        .replace("{scaled}", scaled)
    )


_ADAIN = """
def adain(x, style_scale, style_bias, eps=1e-5):
{body}
"""


def _adain(body: str) -> str:
    return _ADAIN.replace("{body}", body)


_ADAIN_MODULE = """
class AdaIN(nn.Module):
    def __init__(self, channels, w_dim):
        super().__init__()
        self.channels = channels
{init}

    def forward(self, x, w):
{forward}
"""
_ADAIN_INIT = """        self.affine = EqualizedLinear(w_dim, 2 * channels)
        with torch.no_grad():
            self.affine.bias[:channels] = 1.0
            self.affine.bias[channels:] = 0.0"""
_ADAIN_FORWARD = """        styles = self.affine(w)
        return adain(x, styles[:, : self.channels], styles[:, self.channels :])"""


def _adain_module(init: str = _ADAIN_INIT, forward: str = _ADAIN_FORWARD) -> str:
    return _ADAIN_MODULE.replace("{init}", init).replace("{forward}", forward)


_BLOCK = """
class StyleBlock(nn.Module):
    def __init__(self, in_channels, out_channels, w_dim, upsample=True):
        super().__init__()
        self.upsample = upsample
        self.conv1 = EqualizedConv2d(in_channels, out_channels, 3, padding=1)
        self.noise1 = NoiseInjection(out_channels)
        self.adain1 = AdaIN(out_channels, w_dim)
        self.conv2 = EqualizedConv2d(out_channels, out_channels, 3, padding=1)
        self.noise2 = NoiseInjection(out_channels)
        self.adain2 = AdaIN(out_channels, w_dim)
        self.fixed = {}

    def make_noise(self, x, mode, index):
        n, _, h, w = x.shape
        if mode == "none":
{none}
        if mode == "random":
{random}
{const}

    def forward(self, x, w, noise_mode="random"):
        if self.upsample:
            x = {upsample}
{forward}
"""
_CONST = """        if (index, h) not in self.fixed:
            self.fixed[(index, h)] = torch.randn(1, 1, h, w)
        return self.fixed[(index, h)].to(x.device).expand(n, 1, h, w)"""
_UPSAMPLE = 'F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)'
_HALF = """        x = self.conv{k}(x)
        x = self.adain{k}(F.leaky_relu(self.noise{k}(x, self.make_noise(x, noise_mode, {k})), 0.2), w)"""
_BLOCK_FORWARD = _HALF.replace("{k}", "1") + "\n" + _HALF.replace("{k}", "2") + "\n        return x"


_NONE = "            return torch.zeros(n, 1, h, w, device=x.device)"
_RANDOM = "            return None"


def _block(
    forward: str = _BLOCK_FORWARD,
    const: str = _CONST,
    upsample: str = _UPSAMPLE,
    none: str = _NONE,
    random: str = _RANDOM,
) -> str:
    return (
        _BLOCK.replace("{const}", const)
        .replace("{none}", none)
        .replace("{random}", random)
        .replace("{upsample}", upsample)
        .replace("{forward}", forward)
    )


def _halves(half: str) -> str:
    return half.replace("{k}", "1") + "\n" + half.replace("{k}", "2") + "\n        return x"


_MIX = """
def style_mix(w1, w2, crossover, num_layers):
{body}
"""


def _mix(body: str) -> str:
    return _MIX.replace("{body}", body)


WRONG = {
    "test_mapping_network": {
        "z not normalised": _mapping("""        w = z
        for layer in self.layers:
            w = F.leaky_relu(layer(w), 0.2)
        return w"""),
        "no activation after the last layer": _mapping("""        w = pixel_norm(z)
        for i, layer in enumerate(self.layers):
            w = layer(w)
            if i < len(self.layers) - 1:
                w = F.leaky_relu(w, 0.2)
        return w"""),
        "plain nn.Linear layers": _mapping(layer="nn.Linear"),
        "LeakyReLU with its default slope": _mapping("""        w = pixel_norm(z)
        for layer in self.layers:
            w = nn.LeakyReLU()(layer(w))
        return w"""),
        "ReLU": _mapping("""        w = pixel_norm(z)
        for layer in self.layers:
            w = F.relu(layer(w))
        return w"""),
        "z divided by its L2 norm": _mapping("""        w = F.normalize(z, dim=1)
        for layer in self.layers:
            w = F.leaky_relu(layer(w), 0.2)
        return w"""),
        "pixel norm after every layer instead of on z": _mapping("""        w = z
        for layer in self.layers:
            w = pixel_norm(F.leaky_relu(layer(w), 0.2))
        return w"""),
        "z normalised in place": _mapping("""        z *= torch.rsqrt(z.pow(2).mean(dim=1, keepdim=True) + 1e-8)
        w = z
        for layer in self.layers:
            w = F.leaky_relu(layer(w), 0.2)
        return w"""),
    },
    "test_truncate": {
        "w_avg not subtracted": """
def truncate(w, w_avg, psi):
    return w_avg + psi * w
""",
        "psi and 1 - psi swapped": """
def truncate(w, w_avg, psi):
    return psi * w_avg + (1 - psi) * w
""",
        "in place on w": """
def truncate(w, w_avg, psi):
    return w.sub_(w_avg).mul_(psi).add_(w_avg)
""",
        "w detached": """
def truncate(w, w_avg, psi):
    return w_avg + psi * (w.detach() - w_avg)
""",
        "psi clamped to [0, 1]": """
def truncate(w, w_avg, psi):
    psi = min(max(psi, 0.0), 1.0)
    return w_avg + psi * (w - w_avg)
""",
    },
    "test_noise_injection": {
        "scales start random": _noise(init="torch.randn(1, channels, 1, 1)"),
        "one scale for all channels": _noise(init="torch.zeros(1)"),
        "noise drawn per channel": _noise(draw="torch.randn_like(x)"),
        "noise drawn on the CPU": _noise(draw="torch.randn(x.shape[0], 1, x.shape[2], x.shape[3])"),
        "uniform noise": _noise(
            draw="torch.rand(x.shape[0], 1, x.shape[2], x.shape[3], device=x.device)"
        ),
        "one noise image for the whole batch": _noise(
            draw="torch.randn(1, 1, x.shape[2], x.shape[3], device=x.device)"
        ),
        "x scaled instead of the noise": _noise(scaled="noise + self.scale * x"),
        "noise from a generator re-seeded at every call": _noise(
            draw="torch.randn(x.shape[0], 1, x.shape[2], x.shape[3], generator=torch.Generator().manual_seed(1234)).to(x.device)"
        ),
        "height and width swapped": _noise(
            draw="torch.randn(x.shape[0], 1, x.shape[3], x.shape[2], device=x.device)"
        ),
        "no noise in eval mode": _noise(
            setup="""
    def draw(self, x):
        n, _, h, w = x.shape
        if not self.training:
            return torch.zeros(n, 1, h, w, device=x.device)
        return torch.randn(n, 1, h, w, device=x.device)
""",
            draw="self.draw(x)",
        ),
        "a CPU generator drawing on x's device": _noise(
            setup="        self.generator = torch.Generator().manual_seed(0)\n",
            draw="torch.randn(x.shape[0], 1, *x.shape[2:], generator=self.generator, device=x.device)",
        ),
    },
    "test_adain": {
        "unbiased variance": _adain("""    mean = x.mean(dim=(2, 3), keepdim=True)
    std = torch.sqrt(x.var(dim=(2, 3), keepdim=True) + eps)
    return style_scale[:, :, None, None] * (x - mean) / std + style_bias[:, :, None, None]"""),
        "eps outside the square root": _adain("""    mean = x.mean(dim=(2, 3), keepdim=True)
    std = x.std(dim=(2, 3), keepdim=True, unbiased=False)
    return style_scale[:, :, None, None] * (x - mean) / (std + eps) + style_bias[:, :, None, None]"""),
        "batch statistics (batch norm)": _adain("""    mean = x.mean(dim=(0, 2, 3), keepdim=True)
    var = x.var(dim=(0, 2, 3), keepdim=True, unbiased=False)
    return style_scale[:, :, None, None] * (x - mean) / torch.sqrt(var + eps) + style_bias[:, :, None, None]"""),
        "statistics over channels and pixels (layer norm)": _adain("""    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    var = x.var(dim=(1, 2, 3), keepdim=True, unbiased=False)
    return style_scale[:, :, None, None] * (x - mean) / torch.sqrt(var + eps) + style_bias[:, :, None, None]"""),
        "no eps": _adain("""    mean = x.mean(dim=(2, 3), keepdim=True)
    std = x.std(dim=(2, 3), keepdim=True, unbiased=False)
    return style_scale[:, :, None, None] * (x - mean) / std + style_bias[:, :, None, None]"""),
        "styles broadcast over the last dimension": _adain("""    mean = x.mean(dim=(2, 3), keepdim=True)
    var = x.var(dim=(2, 3), keepdim=True, unbiased=False)
    return style_scale[:, None, None] * (x - mean) / torch.sqrt(var + eps) + style_bias[:, None, None]"""),
        "mean not removed": _adain("""    var = x.var(dim=(2, 3), keepdim=True, unbiased=False)
    return style_scale[:, :, None, None] * x / torch.sqrt(var + eps) + style_bias[:, :, None, None]"""),
        "normalised in place": _adain("""    mean = x.mean(dim=(2, 3), keepdim=True)
    var = x.var(dim=(2, 3), keepdim=True, unbiased=False)
    x -= mean
    x /= torch.sqrt(var + eps)
    return style_scale[:, :, None, None] * x + style_bias[:, :, None, None]"""),
    },
    "test_adain_module": {
        "initial bias left at zero": _adain_module(
            init="        self.affine = EqualizedLinear(w_dim, 2 * channels)"
        ),
        "biases first, then scales": _adain_module(
            init="""        self.affine = EqualizedLinear(w_dim, 2 * channels)
        with torch.no_grad():
            self.affine.bias[:channels] = 0.0
            self.affine.bias[channels:] = 1.0""",
            forward="""        styles = self.affine(w)
        return adain(x, styles[:, self.channels :], styles[:, : self.channels])""",
        ),
        "two affine layers": _adain_module(
            init="""        self.to_scale = EqualizedLinear(w_dim, channels, bias_init=1.0)
        self.to_bias = EqualizedLinear(w_dim, channels)""",
            forward="        return adain(x, self.to_scale(w), self.to_bias(w))",
        ),
        "plain nn.Linear": _adain_module(
            init="""        self.affine = nn.Linear(w_dim, 2 * channels)
        with torch.no_grad():
            self.affine.bias[:channels] = 1.0
            self.affine.bias[channels:] = 0.0"""
        ),
        "bias set without torch.no_grad": _adain_module(
            init="""        self.affine = EqualizedLinear(w_dim, 2 * channels)
        self.affine.bias[:channels] = 1.0"""
        ),
        "scale used as 1 + style (StyleGAN 2 habit)": _adain_module(
            init="""        self.affine = EqualizedLinear(w_dim, 2 * channels)""",
            forward="""        styles = self.affine(w)
        return adain(x, 1 + styles[:, : self.channels], styles[:, self.channels :])""",
        ),
        "styles from the wrong halves of a chunk": _adain_module(
            forward="""        bias, scale = self.affine(w).chunk(2, dim=1)
        return adain(x, scale, bias)"""
        ),
    },
    "test_style_block": {
        "no upsampling": _block(upsample="x"),
        "nearest-neighbour upsampling": _block(
            upsample='F.interpolate(x, scale_factor=2, mode="nearest")'
        ),
        "AdaIN before the activation": _block(
            _halves("""        x = self.conv{k}(x)
        x = F.leaky_relu(self.adain{k}(self.noise{k}(x, self.make_noise(x, noise_mode, {k})), w), 0.2)""")
        ),
        "noise after the activation": _block(
            _halves("""        x = self.conv{k}(x)
        x = self.adain{k}(self.noise{k}(F.leaky_relu(x, 0.2), self.make_noise(x, noise_mode, {k})), w)""")
        ),
        '"const" noise redrawn at every call': _block(
            const="        return torch.randn(n, 1, h, w, device=x.device)"
        ),
        '"const" noise left on the CPU': _block(
            const="""        if (index, h) not in self.fixed:
            self.fixed[(index, h)] = torch.randn(1, 1, h, w)
        return self.fixed[(index, h)].expand(n, 1, h, w)"""
        ),
        '"none" still adds noise': _block(
            _halves("""        x = self.conv{k}(x)
        x = self.adain{k}(F.leaky_relu(self.noise{k}(x), 0.2), w)""")
        ),
        "second AdaIN skipped": _block("""        x = self.conv1(x)
        x = self.adain1(F.leaky_relu(self.noise1(x, self.make_noise(x, noise_mode, 1)), 0.2), w)
        x = self.conv2(x)
        return F.leaky_relu(self.noise2(x, self.make_noise(x, noise_mode, 2)), 0.2)"""),
        '"random" noise drawn per channel by the block': _block(
            random="            return torch.randn(n, self.conv1.weight.shape[0], h, w, device=x.device)"
        ),
        '"random" noise drawn uniform by the block': _block(
            random="            return torch.rand(n, 1, h, w, device=x.device)"
        ),
        '"random" noise: one image for the whole batch': _block(
            random="            return torch.randn(1, 1, h, w, device=x.device)"
        ),
        '"const" noise shared by both noise layers': _block(
            const="""        if h not in self.fixed:
            self.fixed[h] = torch.randn(1, 1, h, w)
        return self.fixed[h].to(x.device).expand(n, 1, h, w)"""
        ),
        '"const" noise kept for the first batch size': _block(
            const="""        if (index, h) not in self.fixed:
            self.fixed[(index, h)] = torch.randn(n, 1, h, w, device=x.device)
        return self.fixed[(index, h)].to(x.device)"""
        ),
        '"const" noise drawn for each batch size': _block(
            const="""        key = (index, n, h, w)
        if key not in self.fixed:
            self.fixed[key] = torch.randn(n, 1, h, w)
        return self.fixed[key].to(x.device)"""
        ),
        '"const" noise not moved to x\'s device when reused': _block(
            const="""        if (index, h) not in self.fixed:
            self.fixed[(index, h)] = torch.randn(1, 1, h, w, device=x.device)
        return self.fixed[(index, h)].expand(n, 1, h, w)"""
        ),
        '"const" noise by reseeding torch\'s global generator': _block(
            const="""        torch.manual_seed(100 * index + h)
        return torch.randn(1, 1, h, w, device=x.device).expand(n, 1, h, w)"""
        ),
        '"const" noise from a CPU generator on x\'s device': _block(
            const="""        if (index, h) not in self.fixed:
            seed = torch.Generator().manual_seed(100 * index + h)
            self.fixed[(index, h)] = torch.randn(1, 1, h, w, generator=seed, device=x.device)
        return self.fixed[(index, h)].to(x.device).expand(n, 1, h, w)"""
        ),
        '"const" noise kept per layer, whatever the size': _block(
            const="""        if index not in self.fixed:
            self.fixed[index] = torch.randn(1, 1, h, w)
        return self.fixed[index].to(x.device).expand(n, 1, h, w)"""
        ),
        '"none" noise with height and width swapped': _block(
            none="            return torch.zeros(n, 1, w, h, device=x.device)"
        ),
        "noise layers skipped in eval mode": _block(
            _halves("""        x = self.conv{k}(x)
        if self.training and noise_mode != "none":
            x = self.noise{k}(x, self.make_noise(x, noise_mode, {k}))
        x = self.adain{k}(F.leaky_relu(x, 0.2), w)""")
        ),
    },
    "test_style_mix": {
        "w1 up to and including the crossover": _mix(
            """    return torch.stack([w1 if i <= crossover else w2 for i in range(num_layers)], dim=1)"""
        ),
        "w1 and w2 swapped": _mix(
            """    return torch.stack([w2 if i < crossover else w1 for i in range(num_layers)], dim=1)"""
        ),
        "blocks on the last dimension": _mix(
            """    return torch.stack([w1 if i < crossover else w2 for i in range(num_layers)], dim=2)"""
        ),
        "filled in a tensor made on the CPU": _mix("""    ws = torch.empty(w1.shape[0], num_layers, w1.shape[1])
    ws[:, :crossover] = w1[:, None]
    ws[:, crossover:] = w2[:, None]
    return ws"""),
        "crossover counted from the finest block": _mix(
            """    return torch.stack([w1 if i >= num_layers - crossover else w2 for i in range(num_layers)], dim=1)"""
        ),
        "codes unsqueezed in place": _mix("""    w1.unsqueeze_(1)
    w2.unsqueeze_(1)
    return torch.cat([w1.expand(-1, crossover, -1), w2.expand(-1, num_layers - crossover, -1)], dim=1)"""),
    },
}

RIGHT = {
    "test_mapping_network": {
        "nn.Sequential with LeakyReLU modules": """
class MappingNetwork(nn.Module):
    def __init__(self, z_dim=512, w_dim=512, num_layers=8):
        super().__init__()
        layers = []
        for i in range(num_layers):
            layers += [EqualizedLinear(z_dim if i == 0 else w_dim, w_dim), nn.LeakyReLU(0.2)]
        self.net = nn.Sequential(*layers)

    def forward(self, z):
        return self.net(pixel_norm(z))
""",
        "pixel norm written out": _mapping("""        w = z * torch.rsqrt(z.pow(2).mean(dim=1, keepdim=True) + 1e-8)
        for layer in self.layers:
            w = F.leaky_relu(layer(w), negative_slope=0.2)
        return w"""),
        "layers registered with add_module": """
class MappingNetwork(nn.Module):
    def __init__(self, z_dim=512, w_dim=512, num_layers=8):
        super().__init__()
        self.num_layers = num_layers
        for i in range(num_layers):
            self.add_module(f"fc{i}", EqualizedLinear(z_dim if i == 0 else w_dim, w_dim))

    def forward(self, z):
        w = pixel_norm(z)
        for i in range(self.num_layers):
            w = nn.functional.leaky_relu(getattr(self, f"fc{i}")(w), 0.2)
        return w
""",
    },
    "test_truncate": {
        "torch.lerp": """
def truncate(w, w_avg, psi):
    return torch.lerp(w_avg.expand_as(w), w, psi)
""",
        "psi * w + (1 - psi) * w_avg": """
def truncate(w, w_avg, psi):
    return psi * w + (1 - psi) * w_avg
""",
        "w_avg moved to w's device": """
def truncate(w, w_avg, psi):
    w_avg = w_avg.to(w.device)
    return w_avg + psi * (w - w_avg)
""",
    },
    "test_noise_injection": {
        "scale stored as [C]": """
class NoiseInjection(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(channels))

    def forward(self, x, noise=None):
        if noise is None:
            noise = torch.randn_like(x[:, :1])
        return x + self.weight.view(1, -1, 1, 1) * noise
""",
        "noise from new_empty().normal_()": _noise(
            draw="x.new_empty(x.shape[0], 1, *x.shape[2:]).normal_()"
        ),
        "torch.addcmul": """
class NoiseInjection(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.strength = nn.Parameter(torch.zeros(1, channels, 1, 1))

    def forward(self, x, noise=None):
        n, _, h, w = x.shape
        if noise is None:
            noise = torch.randn(n, 1, h, w, device=x.device, dtype=x.dtype)
        return torch.addcmul(x, self.strength, noise)
""",
        "own generator, made on x's device when first needed": _noise(
            setup="""        self.generator = None

    def draw(self, x):
        if self.generator is None or self.generator.device != x.device:
            self.generator = torch.Generator(device=x.device)
            self.generator.manual_seed(2024)
        n, _, h, w = x.shape
        return torch.randn(n, 1, h, w, generator=self.generator, device=x.device)
""",
            draw="self.draw(x)",
        ),
        "CPU generator made once, noise moved to x's device": _noise(
            setup="        self.generator = torch.Generator().manual_seed(7)\n",
            draw="torch.randn(len(x), 1, x.shape[2], x.shape[3], generator=self.generator).to(x.device)",
        ),
        "deprecated nn.init.normal (warns)": _noise(
            draw="nn.init.normal(torch.empty(x.shape[0], 1, x.shape[2], x.shape[3], device=x.device))"
        ),
    },
    "test_adain": {
        "F.instance_norm": _adain(
            """    return style_scale[..., None, None] * F.instance_norm(x, eps=eps) + style_bias[..., None, None]"""
        ),
        "torch.var_mean with rsqrt": _adain("""    var, mean = torch.var_mean(x, dim=(2, 3), keepdim=True, correction=0)
    n, c = style_scale.shape
    return (x - mean) * torch.rsqrt(var + eps) * style_scale.view(n, c, 1, 1) + style_bias.view(n, c, 1, 1)"""),
        "flattened pixels": _adain("""    n, c, h, w = x.shape
    flat = x.reshape(n, c, h * w)
    mean = flat.mean(dim=2, keepdim=True)
    var = ((flat - mean) ** 2).mean(dim=2, keepdim=True)
    out = (flat - mean) / (var + eps).sqrt() * style_scale.unsqueeze(2) + style_bias.unsqueeze(2)
    return out.reshape(n, c, h, w)"""),
    },
    "test_adain_module": {
        "chunk into scale and bias": _adain_module(
            forward="""        scale, bias = self.affine(w).chunk(2, dim=1)
        return adain(x, scale, bias)"""
        ),
        "bias copied from a concatenation": _adain_module(
            init="""        self.affine = EqualizedLinear(w_dim, 2 * channels)
        with torch.no_grad():
            self.affine.bias.copy_(torch.cat([torch.ones(channels), torch.zeros(channels)]))"""
        ),
        "F.instance_norm in forward": _adain_module(
            init="""        self.affine = EqualizedLinear(w_dim, 2 * channels)
        self.affine.bias.data[:channels] = 1.0
        self.affine.bias.data[channels:] = 0.0""",
            forward="""        styles = self.affine(w)[:, :, None, None]
        return styles[:, : self.channels] * F.instance_norm(x, eps=1e-5) + styles[:, self.channels :]""",
        ),
    },
    "test_style_block": {
        '"none" skips the noise layers': _block(
            _halves("""        x = self.conv{k}(x)
        if noise_mode != "none":
            x = self.noise{k}(x, self.make_noise(x, noise_mode, {k}))
        x = self.adain{k}(F.leaky_relu(x, 0.2), w)""")
        ),
        "nn.Upsample module": _block(upsample="nn.Upsample(scale_factor=2, mode='bilinear')(x)"),
        "constant noise as a buffer": _block(
            const="""        name = f"const_noise_{index}_{h}"
        if not hasattr(self, name):
            self.register_buffer(name, torch.randn(1, 1, h, w, device=x.device), persistent=False)
        return getattr(self, name).expand(n, 1, h, w)"""
        ),
        '"const" noise from a generator on x\'s device': _block(
            const="""        if (index, h) not in self.fixed:
            seed = torch.Generator(device=x.device).manual_seed(100 * index + h)
            self.fixed[(index, h)] = torch.randn(1, 1, h, w, generator=seed, device=x.device)
        return self.fixed[(index, h)].to(x.device).expand(n, 1, h, w)"""
        ),
        '"const" noise seeded inside torch.random.fork_rng': _block(
            const="""        if (index, h) not in self.fixed:
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(100 * index + h)
                self.fixed[(index, h)] = torch.randn(1, 1, h, w)
        return self.fixed[(index, h)].to(x.device)"""
        ),
        '"random" noise drawn by the block': _block(
            random="            return torch.randn(n, 1, h, w, device=x.device)"
        ),
        "deprecated F.upsample (warns)": _block(
            upsample='F.upsample(x, scale_factor=2, mode="bilinear", align_corners=False)'
        ),
    },
    "test_style_mix": {
        "torch.cat of expanded codes": _mix("""    first = w1[:, None].expand(-1, crossover, -1)
    rest = w2[:, None].expand(-1, num_layers - crossover, -1)
    return torch.cat([first, rest], dim=1)"""),
        "repeat, then overwrite the fine blocks": _mix("""    ws = w1.unsqueeze(1).repeat(1, num_layers, 1)
    ws[:, crossover:] = w2.unsqueeze(1)
    return ws"""),
        "torch.where on a mask": _mix("""    mask = torch.arange(num_layers, device=w1.device).view(1, -1, 1) < crossover
    return torch.where(mask, w1.unsqueeze(1), w2.unsqueeze(1))"""),
        "mask copied with torch.tensor (warns)": _mix("""    first = torch.tensor(torch.arange(num_layers) < crossover, device=w1.device)
    return torch.where(first.view(1, -1, 1), w1[:, None], w2[:, None])"""),
    },
}

# Right variants (grade id, name) that warn while the test cell runs (a deprecated call, a copy-construct): they
# must keep full marks, with a note on stdout and nothing on stderr, in tests/test_variants.py
# and in nbgrader's own scoring (tests/test_nbgrader.py submits them).
WARNING = [
    ("test_noise_injection", "deprecated nn.init.normal (warns)"),
    ("test_style_block", "deprecated F.upsample (warns)"),
    ("test_style_mix", "mask copied with torch.tensor (warns)"),
]

# (exercise, (earlier exercise, its wrong variant), right variant of the exercise that uses the
# student's earlier function, or None): the exercise must keep its points despite the mistake.
INDEPENDENT = [
    ("test_adain_module", ("test_adain", "unbiased variance"), None),
    (
        "test_adain_module",
        ("test_adain", "batch statistics (batch norm)"),
        "chunk into scale and bias",
    ),
    ("test_style_block", ("test_noise_injection", "noise drawn per channel"), None),
    ("test_style_block", ("test_adain_module", "biases first, then scales"), None),
    ("test_style_block", ("test_adain", "no eps"), '"none" skips the noise layers'),
]

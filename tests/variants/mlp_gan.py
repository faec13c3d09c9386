"""Implementations of Lesson 1's exercises that students plausibly write.

``WRONG[grade_id]`` must each fail that test cell (visible or hidden part); ``RIGHT[grade_id]``
are correct alternatives to the master solution that must pass it. Each entry is source code
executed in the notebook's namespace (torch, nn and F are imported by the setup cell), replacing
the student's definition of that exercise.
"""

_CHECK = """
    if n < 1 or z_dim < 1:
        raise ValueError("n and z_dim must be positive")
"""

WRONG = {
    "test_sample_noise": {
        "keeps one draw per size": """
_drawn = {}
def sample_noise(n, z_dim, device="cpu"):
    if min(n, z_dim) < 1:
        raise ValueError("sizes must be positive")
    if (n, z_dim) not in _drawn:
        _drawn[(n, z_dim)] = torch.randn(n, z_dim)
    return _drawn[(n, z_dim)].to(device)
""",
        "re-seeds its own generator on every call": """
def sample_noise(n, z_dim, device="cpu"):
    if n < 1 or z_dim < 1:
        raise ValueError("need n >= 1 and z_dim >= 1")
    rng = torch.Generator().manual_seed(2024)  # reproducible codes
    return torch.randn(n, z_dim, generator=rng).to(device)
""",
        "uniform instead of normal": f"""
def sample_noise(n, z_dim, device="cpu"):{_CHECK}
    return torch.rand(n, z_dim, device=device)
""",
        "ignores the device": f"""
def sample_noise(n, z_dim, device="cpu"):{_CHECK}
    return torch.randn(n, z_dim)
""",
        "no check of n and z_dim": """
def sample_noise(n, z_dim, device="cpu"):
    return torch.randn(n, z_dim, device=device)
""",
        "one value repeated along each code": f"""
def sample_noise(n, z_dim, device="cpu"):{_CHECK}
    return torch.randn(n, 1, device=device).repeat(1, z_dim)
""",
        "float64 from numpy": f"""
import numpy as np
def sample_noise(n, z_dim, device="cpu"):{_CHECK}
    return torch.from_numpy(np.random.randn(n, z_dim)).to(device)
""",
        "standard deviation 2": f"""
def sample_noise(n, z_dim, device="cpu"):{_CHECK}
    return 2 * torch.randn(n, z_dim, device=device)
""",
        "transposed shape": f"""
def sample_noise(n, z_dim, device="cpu"):{_CHECK}
    return torch.randn(z_dim, n, device=device)
""",
        "calls the reference": """
from helpers.mlp_gan import sample_noise
""",
    },
    "test_generator": {
        "dropout between the hidden layers": """
class Generator(nn.Module):
    def __init__(self, z_dim=100, img_dim=784):
        super().__init__()
        blocks = []
        for a, b in [(z_dim, 256), (256, 512), (512, 1024)]:
            blocks += [nn.Linear(a, b), nn.LeakyReLU(0.2), nn.Dropout(0.1)]
        self.body = nn.Sequential(*blocks, nn.Linear(1024, img_dim), nn.Tanh())
    def forward(self, z):
        return self.body(z)
""",
        "ReLU instead of LeakyReLU": """
class Generator(nn.Module):
    def __init__(self, z_dim=100, img_dim=784):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(z_dim, 256), nn.ReLU(), nn.Linear(256, 512), nn.ReLU(),
                                 nn.Linear(512, 1024), nn.ReLU(), nn.Linear(1024, img_dim), nn.Tanh())
    def forward(self, z):
        return self.net(z)
""",
        "LeakyReLU with the default slope 0.01": """
class Generator(nn.Module):
    def __init__(self, z_dim=100, img_dim=784):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(z_dim, 256), nn.LeakyReLU(), nn.Linear(256, 512),
                                 nn.LeakyReLU(), nn.Linear(512, 1024), nn.LeakyReLU(),
                                 nn.Linear(1024, img_dim), nn.Tanh())
    def forward(self, z):
        return self.net(z)
""",
        "sigmoid output": """
class Generator(nn.Module):
    def __init__(self, z_dim=100, img_dim=784):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(z_dim, 256), nn.LeakyReLU(0.2), nn.Linear(256, 512),
                                 nn.LeakyReLU(0.2), nn.Linear(512, 1024), nn.LeakyReLU(0.2),
                                 nn.Linear(1024, img_dim), nn.Sigmoid())
    def forward(self, z):
        return self.net(z)
""",
        "no output activation": """
class Generator(nn.Module):
    def __init__(self, z_dim=100, img_dim=784):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(z_dim, 256), nn.LeakyReLU(0.2), nn.Linear(256, 512),
                                 nn.LeakyReLU(0.2), nn.Linear(512, 1024), nn.LeakyReLU(0.2),
                                 nn.Linear(1024, img_dim))
    def forward(self, z):
        return self.net(z)
""",
        "first hidden layer of 128": """
class Generator(nn.Module):
    def __init__(self, z_dim=100, img_dim=784):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(z_dim, 128), nn.LeakyReLU(0.2), nn.Linear(128, 512),
                                 nn.LeakyReLU(0.2), nn.Linear(512, 1024), nn.LeakyReLU(0.2),
                                 nn.Linear(1024, img_dim), nn.Tanh())
    def forward(self, z):
        return self.net(z)
""",
        "ignores img_dim": """
class Generator(nn.Module):
    def __init__(self, z_dim=100, img_dim=784):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(z_dim, 256), nn.LeakyReLU(0.2), nn.Linear(256, 512),
                                 nn.LeakyReLU(0.2), nn.Linear(512, 1024), nn.LeakyReLU(0.2),
                                 nn.Linear(1024, 784), nn.Tanh())
    def forward(self, z):
        return self.net(z)
""",
        "subclasses the reference": """
from helpers import mlp_gan
class Generator(mlp_gan.Generator):
    pass
""",
    },
    "test_discriminator": {
        "dropout mask from a re-seeded generator": """
class Discriminator(nn.Module):
    def __init__(self, img_dim=784, dropout=0.3):
        super().__init__()
        self.p = dropout
        self.linears = nn.ModuleList([nn.Linear(img_dim, 1024), nn.Linear(1024, 512),
                                      nn.Linear(512, 256), nn.Linear(256, 1)])
    def drop(self, h, k):
        if not self.training:
            return h
        rng = torch.Generator().manual_seed(k)  # the same mask every call, for reproducibility
        keep = (torch.rand(h.shape, generator=rng) >= self.p).to(h.device)
        return h * keep / (1 - self.p)
    def forward(self, x):
        h = x.flatten(1)
        for k, layer in enumerate(self.linears[:-1]):
            h = self.drop(F.leaky_relu(layer(h), 0.2), k)
        return self.linears[-1](h)
""",
        "sigmoid at the end": """
class Discriminator(nn.Module):
    def __init__(self, img_dim=784, dropout=0.3):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(img_dim, 1024), nn.LeakyReLU(0.2), nn.Dropout(dropout),
            nn.Linear(1024, 512), nn.LeakyReLU(0.2), nn.Dropout(dropout),
            nn.Linear(512, 256), nn.LeakyReLU(0.2), nn.Dropout(dropout),
            nn.Linear(256, 1), nn.Sigmoid())
    def forward(self, x):
        return self.net(x.reshape(x.shape[0], -1))
""",
        "no dropout": """
class Discriminator(nn.Module):
    def __init__(self, img_dim=784, dropout=0.3):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(img_dim, 1024), nn.LeakyReLU(0.2), nn.Linear(1024, 512),
                                 nn.LeakyReLU(0.2), nn.Linear(512, 256), nn.LeakyReLU(0.2),
                                 nn.Linear(256, 1))
    def forward(self, x):
        return self.net(x.reshape(x.shape[0], -1))
""",
        "dropout also in eval mode": """
class Discriminator(nn.Module):
    def __init__(self, img_dim=784, dropout=0.3):
        super().__init__()
        self.p = dropout
        self.fc1, self.fc2 = nn.Linear(img_dim, 1024), nn.Linear(1024, 512)
        self.fc3, self.fc4 = nn.Linear(512, 256), nn.Linear(256, 1)
    def forward(self, x):
        x = x.reshape(x.shape[0], -1)
        for fc in (self.fc1, self.fc2, self.fc3):
            x = F.dropout(F.leaky_relu(fc(x), 0.2), self.p, training=True)
        return self.fc4(x)
""",
        "dropout rate fixed at 0.3": """
class Discriminator(nn.Module):
    def __init__(self, img_dim=784, dropout=0.3):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(img_dim, 1024), nn.LeakyReLU(0.2), nn.Dropout(0.3),
            nn.Linear(1024, 512), nn.LeakyReLU(0.2), nn.Dropout(0.3),
            nn.Linear(512, 256), nn.LeakyReLU(0.2), nn.Dropout(0.3), nn.Linear(256, 1))
    def forward(self, x):
        return self.net(x.reshape(x.shape[0], -1))
""",
        "does not flatten images": """
class Discriminator(nn.Module):
    def __init__(self, img_dim=784, dropout=0.3):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(img_dim, 1024), nn.LeakyReLU(0.2), nn.Dropout(dropout),
            nn.Linear(1024, 512), nn.LeakyReLU(0.2), nn.Dropout(dropout),
            nn.Linear(512, 256), nn.LeakyReLU(0.2), nn.Dropout(dropout), nn.Linear(256, 1))
    def forward(self, x):
        return self.net(x)
""",
        "ReLU instead of LeakyReLU": """
class Discriminator(nn.Module):
    def __init__(self, img_dim=784, dropout=0.3):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(img_dim, 1024), nn.ReLU(), nn.Dropout(dropout),
            nn.Linear(1024, 512), nn.ReLU(), nn.Dropout(dropout),
            nn.Linear(512, 256), nn.ReLU(), nn.Dropout(dropout), nn.Linear(256, 1))
    def forward(self, x):
        return self.net(x.reshape(x.shape[0], -1))
""",
        "dropout on the input too": """
class Discriminator(nn.Module):
    def __init__(self, img_dim=784, dropout=0.3):
        super().__init__()
        self.net = nn.Sequential(nn.Dropout(dropout),
            nn.Linear(img_dim, 1024), nn.LeakyReLU(0.2), nn.Dropout(dropout),
            nn.Linear(1024, 512), nn.LeakyReLU(0.2), nn.Dropout(dropout),
            nn.Linear(512, 256), nn.LeakyReLU(0.2), nn.Dropout(dropout), nn.Linear(256, 1))
    def forward(self, x):
        return self.net(x.reshape(x.shape[0], -1))
""",
        "dropout after the output layer": """
class Discriminator(nn.Module):
    def __init__(self, img_dim=784, dropout=0.3):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(img_dim, 1024), nn.LeakyReLU(0.2), nn.Dropout(dropout),
            nn.Linear(1024, 512), nn.LeakyReLU(0.2), nn.Dropout(dropout),
            nn.Linear(512, 256), nn.LeakyReLU(0.2), nn.Dropout(dropout),
            nn.Linear(256, 1), nn.Dropout(dropout))
    def forward(self, x):
        return self.net(x.reshape(x.shape[0], -1))
""",
        "hand-made mask without the 1/(1-p) rescale": """
class Discriminator(nn.Module):
    def __init__(self, img_dim=784, dropout=0.3):
        super().__init__()
        self.p = dropout
        self.fc1, self.fc2 = nn.Linear(img_dim, 1024), nn.Linear(1024, 512)
        self.fc3, self.fc4 = nn.Linear(512, 256), nn.Linear(256, 1)
    def drop(self, x):
        if not self.training:
            return x
        return x * (torch.rand_like(x) >= self.p).float()
    def forward(self, x):
        x = x.reshape(x.shape[0], -1)
        for fc in (self.fc1, self.fc2, self.fc3):
            x = self.drop(F.leaky_relu(fc(x), 0.2))
        return self.fc4(x)
""",
        "hand-made mask made on the CPU": """
class Discriminator(nn.Module):
    def __init__(self, img_dim=784, dropout=0.3):
        super().__init__()
        self.p = dropout
        self.fc1, self.fc2 = nn.Linear(img_dim, 1024), nn.Linear(1024, 512)
        self.fc3, self.fc4 = nn.Linear(512, 256), nn.Linear(256, 1)
    def drop(self, x):
        if not self.training:
            return x
        keep = (torch.rand(x.shape) >= self.p).float()
        return x * keep / (1 - self.p)
    def forward(self, x):
        x = x.reshape(x.shape[0], -1)
        for fc in (self.fc1, self.fc2, self.fc3):
            x = self.drop(F.leaky_relu(fc(x), 0.2))
        return self.fc4(x)
""",
        "rescaled by 1/p instead of 1/(1-p)": """
class Discriminator(nn.Module):
    def __init__(self, img_dim=784, dropout=0.3):
        super().__init__()
        self.p = dropout
        self.fc1, self.fc2 = nn.Linear(img_dim, 1024), nn.Linear(1024, 512)
        self.fc3, self.fc4 = nn.Linear(512, 256), nn.Linear(256, 1)
    def drop(self, x):
        if not self.training:
            return x
        return x * (torch.rand_like(x) >= self.p).float() / self.p
    def forward(self, x):
        x = x.reshape(x.shape[0], -1)
        for fc in (self.fc1, self.fc2, self.fc3):
            x = self.drop(F.leaky_relu(fc(x), 0.2))
        return self.fc4(x)
""",
    },
    "test_discriminator_loss": {
        "squeezes the caller's logits in place": """
def discriminator_loss(real_logits, fake_logits):
    real_logits.squeeze_(-1)  # [N, 1] -> [N] to match the targets
    fake_logits.squeeze_(-1)
    real = F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
    fake = F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
    return real + fake
""",
        "targets swapped": """
def discriminator_loss(real_logits, fake_logits):
    return (F.binary_cross_entropy_with_logits(real_logits, torch.zeros_like(real_logits))
            + F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits)))
""",
        "one mean over both batches": """
def discriminator_loss(real_logits, fake_logits):
    logits = torch.cat([real_logits, fake_logits])
    targets = torch.cat([torch.ones_like(real_logits), torch.zeros_like(fake_logits)])
    return F.binary_cross_entropy_with_logits(logits, targets)
""",
        "sigmoid applied twice": """
def discriminator_loss(real_logits, fake_logits):
    real, fake = torch.sigmoid(real_logits), torch.sigmoid(fake_logits)
    return (F.binary_cross_entropy_with_logits(real, torch.ones_like(real))
            + F.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake)))
""",
        "sum instead of mean": """
def discriminator_loss(real_logits, fake_logits):
    return (F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits), reduction="sum")
            + F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits), reduction="sum"))
""",
        "average of the two terms": """
def discriminator_loss(real_logits, fake_logits):
    return 0.5 * (F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
                  + F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits)))
""",
        "returns a float": """
def discriminator_loss(real_logits, fake_logits):
    return (F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
            + F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))).item()
""",
        "maximises V instead of minimising": """
def discriminator_loss(real_logits, fake_logits):
    return F.logsigmoid(real_logits).mean() + F.logsigmoid(-fake_logits).mean()
""",
        "sigmoid then BCE (breaks at large logits)": """
def discriminator_loss(real_logits, fake_logits):
    real, fake = torch.sigmoid(real_logits), torch.sigmoid(fake_logits)
    return F.binary_cross_entropy(real, torch.ones_like(real)) + F.binary_cross_entropy(fake, torch.zeros_like(fake))
""",
        "log of sigmoid by hand": """
def discriminator_loss(real_logits, fake_logits):
    return -(torch.log(torch.sigmoid(real_logits)).mean() + torch.log(1 - torch.sigmoid(fake_logits)).mean())
""",
        "CPU targets from torch.ones(shape)": """
def discriminator_loss(real_logits, fake_logits):
    return (F.binary_cross_entropy_with_logits(real_logits, torch.ones(real_logits.shape))
            + F.binary_cross_entropy_with_logits(fake_logits, torch.zeros(fake_logits.shape)))
""",
        "BCE on logits as if they were probabilities": """
def discriminator_loss(real_logits, fake_logits):
    real = real_logits.clamp(1e-6, 1 - 1e-6)
    fake = fake_logits.clamp(1e-6, 1 - 1e-6)
    return F.binary_cross_entropy(real, torch.ones_like(real)) + F.binary_cross_entropy(fake, torch.zeros_like(fake))
""",
    },
    "test_generator_loss": {
        "negates the caller's logits in place": """
def generator_loss(fake_logits):
    return F.softplus(fake_logits.neg_()).mean()  # -log(sigmoid(l)) = softplus(-l)
""",
        "saturating loss": """
def generator_loss(fake_logits):
    return torch.log(1 - torch.sigmoid(fake_logits)).mean()
""",
        "target 0": """
def generator_loss(fake_logits):
    return F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
""",
        "sum instead of mean": """
def generator_loss(fake_logits):
    return F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits), reduction="sum")
""",
        "sigmoid applied twice": """
def generator_loss(fake_logits):
    probs = torch.sigmoid(fake_logits)
    return F.binary_cross_entropy_with_logits(probs, torch.ones_like(probs))
""",
        "sign flipped": """
def generator_loss(fake_logits):
    return F.logsigmoid(fake_logits).mean()
""",
        "log of sigmoid by hand": """
def generator_loss(fake_logits):
    return -torch.log(torch.sigmoid(fake_logits)).mean()
""",
        "sigmoid then BCE": """
def generator_loss(fake_logits):
    probs = torch.sigmoid(fake_logits)
    return F.binary_cross_entropy(probs, torch.ones_like(probs))
""",
        "CPU targets from torch.ones(size)": """
def generator_loss(fake_logits):
    return F.binary_cross_entropy_with_logits(fake_logits, torch.ones(fake_logits.size()))
""",
        "CPU targets, cast to the logits' dtype only": """
def generator_loss(fake_logits):
    return nn.BCEWithLogitsLoss()(fake_logits, torch.ones(fake_logits.shape[0], 1, dtype=fake_logits.dtype).view_as(fake_logits))
""",
        "detached from the graph": """
def generator_loss(fake_logits):
    return F.binary_cross_entropy_with_logits(fake_logits.detach(), torch.ones_like(fake_logits))
""",
    },
    "test_train_step": {
        "reuses the codes drawn for the first batch of each size": """
_codes = {}
def train_step(G, D, opt_G, opt_D, real, z_dim=100):
    n = real.shape[0]
    if n not in _codes:
        _codes[n] = sample_noise(n, z_dim, device=real.device)
    fake = G(_codes[n])
    opt_D.zero_grad()
    d_loss = discriminator_loss(D(real), D(fake.detach()))
    d_loss.backward()
    opt_D.step()
    opt_G.zero_grad()
    g_loss = generator_loss(D(fake))
    g_loss.backward()
    opt_G.step()
    return {"d_loss": d_loss.item(), "g_loss": g_loss.item()}
""",
        "maps the real batch to [-1, 1] in place": """
def train_step(G, D, opt_G, opt_D, real, z_dim=100):
    real.mul_(2).sub_(1)  # images to [-1, 1], like the generator's tanh
    fake = G(sample_noise(real.shape[0], z_dim, device=real.device))
    opt_D.zero_grad()
    d_loss = discriminator_loss(D(real), D(fake.detach()))
    d_loss.backward()
    opt_D.step()
    opt_G.zero_grad()
    g_loss = generator_loss(D(fake))
    g_loss.backward()
    opt_G.step()
    return {"d_loss": d_loss.item(), "g_loss": g_loss.item()}
""",
        "forces train mode for the step, then restores the modes": """
def train_step(G, D, opt_G, opt_D, real, z_dim=100):
    modes = (G.training, D.training)
    G.train()
    D.train()
    fake = G(torch.randn(len(real), z_dim).to(real.device))
    opt_D.zero_grad()
    d_loss = discriminator_loss(D(real), D(fake.detach()))
    d_loss.backward()
    opt_D.step()
    opt_G.zero_grad()
    g_loss = generator_loss(D(fake))
    g_loss.backward()
    opt_G.step()
    G.train(modes[0])
    D.train(modes[1])
    return {"d_loss": d_loss.item(), "g_loss": g_loss.item()}
""",
        "D put in train mode after the G update, whatever mode it was in": """
def train_step(G, D, opt_G, opt_D, real, z_dim=100):
    fake = G(sample_noise(real.shape[0], z_dim, device=real.device))
    opt_D.zero_grad()
    d_loss = discriminator_loss(D(real), D(fake.detach()))
    d_loss.backward()
    opt_D.step()
    D.eval()
    opt_G.zero_grad()
    g_loss = generator_loss(D(fake))
    g_loss.backward()
    opt_G.step()
    D.train()
    return {"d_loss": d_loss.item(), "g_loss": g_loss.item()}
""",
        "no detach in the D update": """
def train_step(G, D, opt_G, opt_D, real, z_dim=100):
    fake = G(sample_noise(real.shape[0], z_dim, device=real.device))
    opt_D.zero_grad()
    d_loss = discriminator_loss(D(real), D(fake))
    d_loss.backward(retain_graph=True)
    opt_D.step()
    opt_G.zero_grad()
    g_loss = generator_loss(D(fake))
    g_loss.backward()
    opt_G.step()
    return {"d_loss": d_loss.item(), "g_loss": g_loss.item()}
""",
        "G updated before D": """
def train_step(G, D, opt_G, opt_D, real, z_dim=100):
    fake = G(sample_noise(real.shape[0], z_dim, device=real.device))
    opt_G.zero_grad()
    g_loss = generator_loss(D(fake))
    g_loss.backward()
    opt_G.step()
    opt_D.zero_grad()
    d_loss = discriminator_loss(D(real), D(fake.detach()))
    d_loss.backward()
    opt_D.step()
    return {"d_loss": d_loss.item(), "g_loss": g_loss.item()}
""",
        "never clears G's gradients": """
def train_step(G, D, opt_G, opt_D, real, z_dim=100):
    fake = G(sample_noise(real.shape[0], z_dim, device=real.device))
    opt_D.zero_grad()
    d_loss = discriminator_loss(D(real), D(fake.detach()))
    d_loss.backward()
    opt_D.step()
    g_loss = generator_loss(D(fake))
    g_loss.backward()
    opt_G.step()
    return {"d_loss": d_loss.item(), "g_loss": g_loss.item()}
""",
        "clears D's gradients after its backward pass": """
def train_step(G, D, opt_G, opt_D, real, z_dim=100):
    fake = G(sample_noise(real.shape[0], z_dim, device=real.device))
    d_loss = discriminator_loss(D(real), D(fake.detach()))
    d_loss.backward()
    opt_D.step()
    opt_D.zero_grad()
    opt_G.zero_grad()
    g_loss = generator_loss(D(fake))
    g_loss.backward()
    opt_G.step()
    return {"d_loss": d_loss.item(), "g_loss": g_loss.item()}
""",
        "saturating generator loss": """
def train_step(G, D, opt_G, opt_D, real, z_dim=100):
    fake = G(sample_noise(real.shape[0], z_dim, device=real.device))
    opt_D.zero_grad()
    d_loss = discriminator_loss(D(real), D(fake.detach()))
    d_loss.backward()
    opt_D.step()
    opt_G.zero_grad()
    g_loss = torch.log(1 - torch.sigmoid(D(fake))).mean()
    g_loss.backward()
    opt_G.step()
    return {"d_loss": d_loss.item(), "g_loss": g_loss.item()}
""",
        "returns tensors": """
def train_step(G, D, opt_G, opt_D, real, z_dim=100):
    fake = G(sample_noise(real.shape[0], z_dim, device=real.device))
    opt_D.zero_grad()
    d_loss = discriminator_loss(D(real), D(fake.detach()))
    d_loss.backward()
    opt_D.step()
    opt_G.zero_grad()
    g_loss = generator_loss(D(fake))
    g_loss.backward()
    opt_G.step()
    return {"d_loss": d_loss, "g_loss": g_loss}
""",
        "detached fakes in the G update too": """
def train_step(G, D, opt_G, opt_D, real, z_dim=100):
    fake = G(sample_noise(real.shape[0], z_dim, device=real.device)).detach()
    opt_D.zero_grad()
    d_loss = discriminator_loss(D(real), D(fake))
    d_loss.backward()
    opt_D.step()
    opt_G.zero_grad()
    g_loss = generator_loss(D(fake))
    g_loss.backward()
    opt_G.step()
    return {"d_loss": d_loss.item(), "g_loss": g_loss.item()}
""",
        "steps D again in the G update": """
def train_step(G, D, opt_G, opt_D, real, z_dim=100):
    fake = G(sample_noise(real.shape[0], z_dim, device=real.device))
    opt_D.zero_grad()
    d_loss = discriminator_loss(D(real), D(fake.detach()))
    d_loss.backward()
    opt_D.step()
    opt_G.zero_grad()
    g_loss = generator_loss(D(fake))
    g_loss.backward()
    opt_G.step()
    opt_D.step()
    return {"d_loss": d_loss.item(), "g_loss": g_loss.item()}
""",
        "calls the reference": """
from helpers.mlp_gan import train_step
""",
        "delegates to the course's fast step": """
from helpers.mlp_gan import FastTrainStep
_fast = FastTrainStep(concat_real_fake=False)
def train_step(G, D, opt_G, opt_D, real, z_dim=100):
    logs = _fast(G, D, opt_G, opt_D, real, z_dim=z_dim)
    return {key: value.item() for key, value in logs.items()}
""",
        "codes drawn on the CPU": """
def train_step(G, D, opt_G, opt_D, real, z_dim=100):
    fake = G(torch.randn(real.shape[0], z_dim))
    opt_D.zero_grad()
    d_loss = discriminator_loss(D(real), D(fake.detach()))
    d_loss.backward()
    opt_D.step()
    opt_G.zero_grad()
    g_loss = generator_loss(D(fake))
    g_loss.backward()
    opt_G.step()
    return {"d_loss": d_loss.item(), "g_loss": g_loss.item()}
""",
        "fake count from the config's batch size": """
def train_step(G, D, opt_G, opt_D, real, z_dim=100):
    fake = G(sample_noise(CONFIG.batch_size, z_dim, device=real.device))
    opt_D.zero_grad()
    d_loss = discriminator_loss(D(real), D(fake.detach()))
    d_loss.backward()
    opt_D.step()
    opt_G.zero_grad()
    g_loss = generator_loss(D(fake))
    g_loss.backward()
    opt_G.step()
    return {"d_loss": d_loss.item(), "g_loss": g_loss.item()}
""",
        "fake count from the wrong dimension": """
def train_step(G, D, opt_G, opt_D, real, z_dim=100):
    fake = G(sample_noise(real.size(1), z_dim, device=real.device))
    opt_D.zero_grad()
    d_loss = discriminator_loss(D(real), D(fake.detach()))
    d_loss.backward()
    opt_D.step()
    opt_G.zero_grad()
    g_loss = generator_loss(D(fake))
    g_loss.backward()
    opt_G.step()
    return {"d_loss": d_loss.item(), "g_loss": g_loss.item()}
""",
        "uniform codes": """
def train_step(G, D, opt_G, opt_D, real, z_dim=100):
    fake = G(torch.rand(real.shape[0], z_dim, device=real.device))
    opt_D.zero_grad()
    d_loss = discriminator_loss(D(real), D(fake.detach()))
    d_loss.backward()
    opt_D.step()
    opt_G.zero_grad()
    g_loss = generator_loss(D(fake))
    g_loss.backward()
    opt_G.step()
    return {"d_loss": d_loss.item(), "g_loss": g_loss.item()}
""",
        "leaves D in eval mode": """
def train_step(G, D, opt_G, opt_D, real, z_dim=100):
    fake = G(sample_noise(real.shape[0], z_dim, device=real.device))
    opt_D.zero_grad()
    d_loss = discriminator_loss(D(real), D(fake.detach()))
    d_loss.backward()
    opt_D.step()
    D.eval()
    opt_G.zero_grad()
    g_loss = generator_loss(D(fake))
    g_loss.backward()
    opt_G.step()
    return {"d_loss": d_loss.item(), "g_loss": g_loss.item()}
""",
        "puts G in eval mode to make the fakes": """
def train_step(G, D, opt_G, opt_D, real, z_dim=100):
    G.eval()
    fake = G(sample_noise(real.shape[0], z_dim, device=real.device))
    opt_D.zero_grad()
    d_loss = discriminator_loss(D(real), D(fake.detach()))
    d_loss.backward()
    opt_D.step()
    opt_G.zero_grad()
    g_loss = generator_loss(D(fake))
    g_loss.backward()
    opt_G.step()
    return {"d_loss": d_loss.item(), "g_loss": g_loss.item()}
""",
    },
    "test_generate": {
        "freezes G's parameters instead of no_grad": """
def generate(G, n=64, z_dim=100, seed=0):
    z = torch.randn(n, z_dim, generator=torch.Generator().manual_seed(seed))
    was_training = G.training
    G.eval()
    G.requires_grad_(False)  # no gradients needed for sampling
    images = G(z.to(next(G.parameters()).device)).detach()
    G.train(was_training)
    return images.reshape(n, 1, 28, 28)
""",
        "seeds the global generator, then calls sample_noise": """
def generate(G, n=64, z_dim=100, seed=0):
    torch.manual_seed(seed)
    z = sample_noise(n, z_dim).to(next(G.parameters()).device)
    was_training = G.training
    G.eval()
    with torch.no_grad():
        images = G(z)
    if was_training:
        G.train()
    return images.reshape(n, 1, 28, 28)
""",
        "seeds the global generator": """
def generate(G, n=64, z_dim=100, seed=0):
    torch.manual_seed(seed)
    z = torch.randn(n, z_dim)
    mode = G.training
    G.eval()
    with torch.no_grad():
        out = G(z.to(next(G.parameters()).device))
    G.train(mode)
    return out.view(n, 1, 28, 28)
""",
        "ignores the seed": """
def generate(G, n=64, z_dim=100, seed=0):
    z = torch.randn(n, z_dim).to(next(G.parameters()).device)
    was_training = G.training
    G.eval()
    with torch.no_grad():
        images = G(z).reshape(n, 1, 28, 28)
    G.train(was_training)
    return images
""",
        "flat images": """
def generate(G, n=64, z_dim=100, seed=0):
    z = torch.randn(n, z_dim, generator=torch.Generator().manual_seed(seed))
    was_training = G.training
    G.eval()
    with torch.no_grad():
        images = G(z.to(next(G.parameters()).device))
    G.train(was_training)
    return images
""",
        "keeps autograd on": """
def generate(G, n=64, z_dim=100, seed=0):
    z = torch.randn(n, z_dim, generator=torch.Generator().manual_seed(seed))
    was_training = G.training
    G.eval()
    images = G(z.to(next(G.parameters()).device)).reshape(n, 1, 28, 28)
    G.train(was_training)
    return images
""",
        "leaves G in eval mode": """
def generate(G, n=64, z_dim=100, seed=0):
    z = torch.randn(n, z_dim, generator=torch.Generator().manual_seed(seed))
    G.eval()
    with torch.no_grad():
        return G(z.to(next(G.parameters()).device)).reshape(n, 1, 28, 28)
""",
        "never switches to eval mode": """
def generate(G, n=64, z_dim=100, seed=0):
    z = torch.randn(n, z_dim, generator=torch.Generator().manual_seed(seed))
    with torch.no_grad():
        return G(z.to(next(G.parameters()).device)).reshape(n, 1, 28, 28)
""",
        "rescaled to [0, 1]": """
def generate(G, n=64, z_dim=100, seed=0):
    z = torch.randn(n, z_dim, generator=torch.Generator().manual_seed(seed))
    was_training = G.training
    G.eval()
    with torch.no_grad():
        images = G(z.to(next(G.parameters()).device)).reshape(n, 1, 28, 28)
    G.train(was_training)
    return (images + 1) / 2
""",
        "seeds after drawing z": """
def generate(G, n=64, z_dim=100, seed=0):
    z = torch.randn(n, z_dim)
    torch.manual_seed(seed)
    was_training = G.training
    G.eval()
    with torch.no_grad():
        images = G(z.to(next(G.parameters()).device)).reshape(n, 1, 28, 28)
    G.train(was_training)
    return images
""",
        "uniform codes": """
def generate(G, n=64, z_dim=100, seed=0):
    z = torch.rand(n, z_dim, generator=torch.Generator().manual_seed(seed))
    was_training = G.training
    G.eval()
    with torch.no_grad():
        images = G(z.to(next(G.parameters()).device)).reshape(n, 1, 28, 28)
    G.train(was_training)
    return images
""",
        "z never moved to G's device": """
def generate(G, n=64, z_dim=100, seed=0):
    z = torch.randn(n, z_dim, generator=torch.Generator().manual_seed(seed))
    was_training = G.training
    G.eval()
    with torch.no_grad():
        images = G(z).reshape(n, 1, 28, 28)
    G.train(was_training)
    return images
""",
        "images moved to the CPU": """
def generate(G, n=64, z_dim=100, seed=0):
    z = torch.randn(n, z_dim, generator=torch.Generator().manual_seed(seed))
    was_training = G.training
    G.eval()
    with torch.no_grad():
        images = G(z.to(next(G.parameters()).device)).reshape(n, 1, 28, 28)
    G.train(was_training)
    return images.cpu()
""",
    },
}

RIGHT = {
    "test_sample_noise": {
        "torch.distributions.Normal": """
def sample_noise(n, z_dim, device="cpu"):
    if n < 1 or z_dim < 1:
        raise ValueError(f"n={n} and z_dim={z_dim} must both be at least 1")
    normal = torch.distributions.Normal(torch.tensor(0.0), torch.tensor(1.0))
    return normal.sample((n, z_dim)).to(device)
""",
        "torch.normal": """
def sample_noise(n, z_dim, device="cpu"):
    if n <= 0 or z_dim <= 0:
        raise ValueError(f"bad sizes {n}, {z_dim}")
    return torch.normal(0.0, 1.0, size=(n, z_dim), device=device)
""",
        "normal_ in place": f"""
def sample_noise(n, z_dim, device="cpu"):{_CHECK}
    return torch.empty(n, z_dim, device=device).normal_()
""",
        "numpy, cast to float32": f"""
import numpy as np
def sample_noise(n, z_dim, device="cpu"):{_CHECK}
    return torch.from_numpy(np.random.standard_normal((n, z_dim)).astype(np.float32)).to(device)
""",
    },
    "test_generator": {
        "Xavier initialisation with the deprecated nn.init.xavier_uniform": """
class Generator(nn.Module):
    def __init__(self, z_dim=100, img_dim=784):
        super().__init__()
        self.hidden = nn.ModuleList([nn.Linear(z_dim, 256), nn.Linear(256, 512), nn.Linear(512, 1024)])
        self.out = nn.Linear(1024, img_dim)
        for layer in [*self.hidden, self.out]:
            nn.init.xavier_uniform(layer.weight)  # deprecated spelling: a FutureWarning, still correct
            nn.init.zeros_(layer.bias)
    def forward(self, z):
        for layer in self.hidden:
            z = F.leaky_relu(layer(z), negative_slope=0.2)
        return torch.tanh(self.out(z))
""",
        "separate layers and functional activations": """
class Generator(nn.Module):
    def __init__(self, z_dim=100, img_dim=784):
        super().__init__()
        self.fc1 = nn.Linear(z_dim, 256)
        self.fc2 = nn.Linear(256, 512)
        self.fc3 = nn.Linear(512, 1024)
        self.fc4 = nn.Linear(1024, img_dim)
    def forward(self, z):
        x = F.leaky_relu(self.fc1(z), 0.2)
        x = F.leaky_relu(self.fc2(x), 0.2)
        x = F.leaky_relu(self.fc3(x), 0.2)
        return torch.tanh(self.fc4(x))
""",
        "ModuleList built in a loop": """
class Generator(nn.Module):
    def __init__(self, z_dim=100, img_dim=784):
        super().__init__()
        sizes = [z_dim, 256, 512, 1024, img_dim]
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes, sizes[1:]))
        self.act = nn.LeakyReLU(negative_slope=0.2)
    def forward(self, z):
        for layer in self.layers[:-1]:
            z = self.act(layer(z))
        return self.layers[-1](z).tanh()
""",
        "nested Sequential blocks": """
class Generator(nn.Module):
    def __init__(self, z_dim=100, img_dim=784):
        super().__init__()
        def block(a, b):
            return nn.Sequential(nn.Linear(a, b), nn.LeakyReLU(0.2, inplace=True))
        self.body = nn.Sequential(block(z_dim, 256), block(256, 512), block(512, 1024))
        self.head = nn.Sequential(nn.Linear(1024, img_dim), nn.Tanh())
    def forward(self, z):
        return self.head(self.body(z))
""",
    },
    "test_discriminator": {
        "blocks in a ModuleList, dropout on a flattened view": """
class Discriminator(nn.Module):
    def __init__(self, img_dim=784, dropout=0.3):
        super().__init__()
        sizes = [img_dim, 1024, 512, 256]
        self.blocks = nn.ModuleList(
            nn.Sequential(nn.Linear(a, b), nn.LeakyReLU(0.2), nn.Dropout(p=dropout))
            for a, b in zip(sizes, sizes[1:])
        )
        self.head = nn.Linear(256, 1)
    def forward(self, x):
        h = x.view(x.size(0), -1)
        for block in self.blocks:
            h = block(h)
        return self.head(h)
""",
        "functional dropout with self.training": """
class Discriminator(nn.Module):
    def __init__(self, img_dim=784, dropout=0.3):
        super().__init__()
        self.p = dropout
        self.fc1, self.fc2 = nn.Linear(img_dim, 1024), nn.Linear(1024, 512)
        self.fc3, self.fc4 = nn.Linear(512, 256), nn.Linear(256, 1)
    def forward(self, x):
        x = x.view(x.size(0), -1)
        for fc in (self.fc1, self.fc2, self.fc3):
            x = F.dropout(F.leaky_relu(fc(x), 0.2), self.p, self.training)
        return self.fc4(x)
""",
        "nn.Flatten and dropout before the activation": """
class Discriminator(nn.Module):
    def __init__(self, img_dim=784, dropout=0.3):
        super().__init__()
        self.net = nn.Sequential(nn.Flatten(),
            nn.Linear(img_dim, 1024), nn.Dropout(dropout), nn.LeakyReLU(0.2),
            nn.Linear(1024, 512), nn.Dropout(dropout), nn.LeakyReLU(0.2),
            nn.Linear(512, 256), nn.Dropout(dropout), nn.LeakyReLU(0.2), nn.Linear(256, 1))
    def forward(self, x):
        return self.net(x)
""",
        "flatten with view(-1, img_dim)": """
class Discriminator(nn.Module):
    def __init__(self, img_dim=784, dropout=0.3):
        super().__init__()
        self.img_dim = img_dim
        layers = []
        for a, b in [(img_dim, 1024), (1024, 512), (512, 256)]:
            layers += [nn.Linear(a, b), nn.LeakyReLU(0.2), nn.Dropout(p=dropout)]
        self.features = nn.Sequential(*layers)
        self.out = nn.Linear(256, 1)
    def forward(self, x):
        return self.out(self.features(x.view(-1, self.img_dim)))
""",
        "hand-made mask on the input's device, rescaled": """
class Discriminator(nn.Module):
    def __init__(self, img_dim=784, dropout=0.3):
        super().__init__()
        self.p = dropout
        self.fc1, self.fc2 = nn.Linear(img_dim, 1024), nn.Linear(1024, 512)
        self.fc3, self.fc4 = nn.Linear(512, 256), nn.Linear(256, 1)
    def drop(self, x):
        if not self.training or self.p == 0:
            return x
        keep = torch.rand(x.shape, device=x.device) >= self.p
        return torch.where(keep, x / (1 - self.p), torch.zeros_like(x))
    def forward(self, x):
        x = x.reshape(x.shape[0], -1)
        for fc in (self.fc1, self.fc2, self.fc3):
            x = self.drop(F.leaky_relu(fc(x), 0.2))
        return self.fc4(x)
""",
        "in-place dropout modules": """
class Discriminator(nn.Module):
    def __init__(self, img_dim=784, dropout=0.3):
        super().__init__()
        layers = []
        for a, b in [(img_dim, 1024), (1024, 512), (512, 256)]:
            layers += [nn.Linear(a, b), nn.LeakyReLU(0.2), nn.Dropout(dropout, inplace=True)]
        self.body = nn.Sequential(*layers)
        self.head = nn.Linear(256, 1)
    def forward(self, x):
        return self.head(self.body(torch.flatten(x, start_dim=1)))
""",
    },
    "test_discriminator_loss": {
        "legacy size_average argument (a deprecation warning)": """
def discriminator_loss(real_logits, fake_logits):
    ones, zeros = torch.ones_like(real_logits), torch.zeros_like(fake_logits)
    real_term = F.binary_cross_entropy_with_logits(real_logits, ones, size_average=True)
    fake_term = F.binary_cross_entropy_with_logits(fake_logits, zeros, size_average=True)
    return real_term + fake_term
""",
        "softplus": """
def discriminator_loss(real_logits, fake_logits):
    return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()
""",
        "BCEWithLogitsLoss module": """
def discriminator_loss(real_logits, fake_logits):
    criterion = nn.BCEWithLogitsLoss()
    return criterion(real_logits, torch.ones_like(real_logits)) + criterion(fake_logits, torch.zeros_like(fake_logits))
""",
        "logsigmoid": """
def discriminator_loss(real_logits, fake_logits):
    return -(F.logsigmoid(real_logits).mean() + F.logsigmoid(-fake_logits).mean())
""",
        "stable formula by hand, targets built with new_ones": """
def discriminator_loss(real_logits, fake_logits):
    def bce(x, y):  # max(x, 0) - x*y + log(1 + exp(-|x|)), the stable BCE with logits
        return (x.clamp(min=0) - x * y + torch.log1p(torch.exp(-x.abs()))).mean()
    return bce(real_logits, real_logits.new_ones(real_logits.shape)) + bce(fake_logits, fake_logits.new_zeros(fake_logits.shape))
""",
        "targets made on the logits' device": """
def discriminator_loss(real_logits, fake_logits):
    ones = torch.ones(real_logits.shape, device=real_logits.device)
    zeros = torch.full(fake_logits.shape, 0.0, device=fake_logits.device)
    return F.binary_cross_entropy_with_logits(real_logits, ones) + F.binary_cross_entropy_with_logits(fake_logits, zeros)
""",
    },
    "test_generator_loss": {
        "mean of a per-sample BCE": """
def generator_loss(fake_logits):
    per_sample = F.binary_cross_entropy_with_logits(
        fake_logits, torch.ones_like(fake_logits), reduction="none")
    return per_sample.mean()
""",
        "softplus": """
def generator_loss(fake_logits):
    return F.softplus(-fake_logits).mean()
""",
        "logsigmoid": """
def generator_loss(fake_logits):
    return -F.logsigmoid(fake_logits).mean()
""",
        "BCEWithLogitsLoss module": """
def generator_loss(fake_logits):
    return nn.BCEWithLogitsLoss()(fake_logits, torch.ones_like(fake_logits))
""",
        "targets with torch.full_like": """
def generator_loss(fake_logits):
    return F.binary_cross_entropy_with_logits(fake_logits, torch.full_like(fake_logits, 1.0))
""",
    },
    "test_train_step": {
        "old-style Variable(volatile=True) codes (a deprecation warning)": """
from torch.autograd import Variable
def train_step(G, D, opt_G, opt_D, real, z_dim=100):
    z = Variable(torch.randn(real.size(0), z_dim, device=real.device), volatile=True)  # no-op today
    fake = G(z)
    D.zero_grad()
    d_loss = discriminator_loss(D(real), D(fake.detach()))
    d_loss.backward()
    opt_D.step()
    G.zero_grad()
    g_loss = generator_loss(D(fake))
    g_loss.backward()
    opt_G.step()
    return dict(d_loss=float(d_loss.item()), g_loss=float(g_loss.item()))
""",
        "D in eval mode for the G update, then back to the mode it was in": """
def train_step(G, D, opt_G, opt_D, real, z_dim=100):
    fake = G(sample_noise(real.shape[0], z_dim, device=real.device))
    opt_D.zero_grad()
    d_loss = discriminator_loss(D(real), D(fake.detach()))
    d_loss.backward()
    opt_D.step()
    d_was_training = D.training
    D.eval()
    try:
        opt_G.zero_grad()
        g_loss = generator_loss(D(fake))
        g_loss.backward()
        opt_G.step()
    finally:
        D.train(d_was_training)
    return {"d_loss": d_loss.item(), "g_loss": g_loss.item()}
""",
        "fresh z for the G update": """
def train_step(G, D, opt_G, opt_D, real, z_dim=100):
    n = real.size(0)
    opt_D.zero_grad()
    fake = G(torch.randn(n, z_dim, device=real.device))
    d_loss = discriminator_loss(D(real), D(fake.detach()))
    d_loss.backward()
    opt_D.step()
    opt_G.zero_grad()
    g_loss = generator_loss(D(G(torch.randn(n, z_dim, device=real.device))))
    g_loss.backward()
    opt_G.step()
    return {"d_loss": float(d_loss), "g_loss": float(g_loss)}
""",
        "all gradients cleared up front, D frozen for the G update": """
def train_step(G, D, opt_G, opt_D, real, z_dim=100):
    opt_G.zero_grad()
    opt_D.zero_grad()
    real = real.view(real.size(0), -1)
    fake = G(sample_noise(real.size(0), z_dim, real.device))
    d_loss = discriminator_loss(D(real), D(fake.detach()))
    d_loss.backward()
    opt_D.step()
    for p in D.parameters():
        p.requires_grad_(False)
    g_loss = generator_loss(D(fake))
    g_loss.backward()
    for p in D.parameters():
        p.requires_grad_(True)
    opt_G.step()
    return dict(d_loss=d_loss.item(), g_loss=g_loss.item())
""",
        "fakes made under no_grad for D, made again for G": """
def train_step(G, D, opt_G, opt_D, real, z_dim=100):
    z = torch.randn(real.shape[0], z_dim, device=real.device)
    with torch.no_grad():
        fake = G(z)
    opt_D.zero_grad()
    d_loss = discriminator_loss(D(real), D(fake))
    d_loss.backward()
    opt_D.step()
    opt_G.zero_grad()
    g_loss = generator_loss(D(G(z)))
    g_loss.backward()
    opt_G.step()
    return {"d_loss": d_loss.item(), "g_loss": g_loss.item()}
""",
        "module zero_grad and a BCE criterion": """
def train_step(G, D, opt_G, opt_D, real, z_dim=100):
    criterion = nn.BCEWithLogitsLoss()
    n = real.shape[0]
    ones = torch.ones(n, 1, device=real.device)
    zeros = torch.zeros(n, 1, device=real.device)
    D.zero_grad()
    fake = G(torch.randn(n, z_dim, device=real.device))
    d_loss = criterion(D(real), ones) + criterion(D(fake.detach()), zeros)
    d_loss.backward()
    opt_D.step()
    G.zero_grad()
    g_loss = criterion(D(fake), ones)
    g_loss.backward()
    opt_G.step()
    return {"d_loss": d_loss.item(), "g_loss": g_loss.item()}
""",
    },
    "test_generate": {
        "a seeded CPU generator object, view and mode restored by hand": """
def generate(G, n=64, z_dim=100, seed=0):
    rng = torch.Generator(device="cpu")
    rng.manual_seed(seed)
    z = torch.randn((n, z_dim), generator=rng, device="cpu")
    device = next(iter(G.parameters())).device
    was_training = G.training
    G.train(False)
    with torch.no_grad():
        flat = G(z.to(device))
    if was_training:
        G.train(True)
    return flat.view(n, 1, 28, 28)
""",
        "seeds inside torch.random.fork_rng, then calls sample_noise": """
def generate(G, n=64, z_dim=100, seed=0):
    with torch.random.fork_rng(devices=[]):  # the global state is restored on exit
        torch.manual_seed(seed)
        z = sample_noise(n, z_dim)
    was_training = G.training
    G.eval()
    with torch.no_grad():
        images = G(z.to(next(G.parameters()).device))
    G.train(was_training)
    return images.reshape(n, 1, 28, 28)
""",
        "decorator, inference mode and try/finally": """
@torch.inference_mode()
def generate(G, n=64, z_dim=100, seed=0):
    device = next(G.parameters()).device
    z = torch.randn(n, z_dim, generator=torch.Generator().manual_seed(seed)).to(device)
    was_training = G.training
    try:
        G.eval()
        return G(z).reshape(-1, 1, 28, 28)
    finally:
        G.train(was_training)
""",
    },
}

# (exercise, (earlier exercise, its wrong variant), right variant of the exercise that uses the
# student's earlier function, or None): the exercise must keep its points despite the mistake.
INDEPENDENT = [
    ("test_train_step", ("test_generator_loss", "sign flipped"), None),
    ("test_train_step", ("test_discriminator_loss", "targets swapped"), None),
    (
        "test_generate",
        ("test_sample_noise", "uniform instead of normal"),
        "seeds inside torch.random.fork_rng, then calls sample_noise",
    ),
]

# Correct variants that raise a warning while the checks run: they keep their points, and the
# test cell notes the warning on stdout (nbgrader scores a cell with stderr output 0).
WARNING = [
    ("test_generator", "Xavier initialisation with the deprecated nn.init.xavier_uniform"),
    ("test_discriminator_loss", "legacy size_average argument (a deprecation warning)"),
    ("test_train_step", "old-style Variable(volatile=True) codes (a deprecation warning)"),
]

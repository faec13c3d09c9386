"""Implementations of Lesson 6's exercises that students plausibly write.

``WRONG[grade_id]`` must each fail that test cell (visible or hidden part); ``RIGHT[grade_id]``
are correct alternatives to the master solution that must pass it; ``WARNING`` lists correct
ones that emit a warning (they keep their points, the warning noted on stdout). Each entry is
source code executed in the notebook's namespace (torch, nn, F, fast, discriminator_loss and
generator_loss come from the setup cell), replacing the student's definition of that exercise.
"""

_CHECKED = """
    if labels.is_floating_point() or labels.dtype == torch.bool:
        raise ValueError("labels must be integers")
    if labels.shape != (z.shape[0],):
        raise ValueError("labels must have shape [N]")
    if (labels < 0).any() or (labels >= num_classes).any():
        raise ValueError("labels out of range")
"""


def _input(body: str, checks: str = _CHECKED) -> str:
    return f"def conditional_input(z, labels, num_classes):{checks}{body}"


def _maps(body: str) -> str:
    return f"def label_maps(x, labels, num_classes):\n    n, _, h, w = x.shape\n{body}"


def _projection(init: str, forward: str) -> str:
    return (
        "class Projection(nn.Module):\n    def __init__(self, feature_dim, num_classes):\n"
        f"        super().__init__()\n{init}\n    def forward(self, features, labels):\n{forward}"
    )


_PROJ_INIT = (
    "        self.psi = nn.Linear(feature_dim, 1)\n"
    "        self.embed = nn.Embedding(num_classes, feature_dim)\n"
)

# the master step, with {draw}, {d_update} and {g_update} replaced by each variant
_STEP = """
def train_step(G, D, opt_G, opt_D, real, z_dim=64, num_classes=10):
    images, labels = real
    n = images.shape[0]
{draw}
    opt_D.zero_grad()
{d_update}
    d_loss.backward()
    opt_D.step()
{g_update}
    return {{"d_loss": d_loss.item(), "g_loss": g_loss.item()}}
"""
_DRAW = """    z = torch.randn(n, z_dim, device=images.device)
    fake_labels = torch.randint(0, num_classes, (n,), device=images.device)
    fake = G(z, fake_labels)"""
_D_UPDATE = "    d_loss = discriminator_loss(D(images, labels), D(fake.detach(), fake_labels))"
_G_UPDATE = """    with fast.frozen(D):
        opt_G.zero_grad()
        g_loss = generator_loss(D(fake, fake_labels))
        g_loss.backward()
        opt_G.step()"""


def _step(draw: str = _DRAW, d_update: str = _D_UPDATE, g_update: str = _G_UPDATE) -> str:
    return _STEP.format(draw=draw, d_update=d_update, g_update=g_update)


def _accuracy(body: str) -> str:
    return (
        "def conditional_accuracy(G, predict, num_classes=10, n_per_class=100, z_dim=64, seed=0):\n"
        "    device = next(G.parameters()).device\n" + body
    )


_ACC_MASTER_BODY = """    z = torch.randn(num_classes * n_per_class, z_dim, generator=torch.Generator().manual_seed(seed)).to(device)
    wanted = torch.arange(num_classes, device=device).repeat_interleave(n_per_class)
    was_training = G.training
    G.eval()
    with torch.no_grad():
        images = G(z, wanted)
    G.train(was_training)
    read = predict(images).to(device)
    return (read == wanted).float().reshape(num_classes, n_per_class).mean(dim=1).cpu()
"""


def _guide(
    loss: str, update: str = "        c = (c - lr * grad).detach().requires_grad_(True)\n"
) -> str:
    return (
        "def guide(decode, classifier, code, target, steps=20, lr=0.1, penalty=0.1):\n"
        "    start = code.detach()\n    c = start.clone().requires_grad_(True)\n"
        "    for _ in range(steps):\n        logits = classifier(decode(c))\n"
        f"{loss}        grad, = torch.autograd.grad(loss, c)\n{update}    return c.detach()\n"
    )


_GUIDE_LOSS = (
    '        loss = F.cross_entropy(logits, target, reduction="sum")'
    " + penalty * (c - start).square().sum()\n"
)

_EDIT = """
def edit(code, direction, amount):
    amount = torch.as_tensor(amount, dtype=code.dtype, device=code.device)
    if amount.dim() == 1:
        amount = amount[:, None]
    return code + amount * direction / direction.norm()
"""
_FIND = """
def find_direction(codes, values):
    centred = codes - codes.mean(dim=0)
    slope = torch.linalg.lstsq(centred, (values - values.mean())[:, None]).solution[:, 0]
    return slope / slope.norm()
"""

WRONG = {
    "test_conditional_input": {
        "one-hot as wide as the largest label (F.one_hot without num_classes)": _input(
            "    return torch.cat([z, F.one_hot(labels.long()).to(z)], dim=1)\n"
        ),
        "no label checks: F.one_hot's own errors are not ValueError": _input(
            "    return torch.cat([z, F.one_hot(labels, num_classes).to(z)], dim=1)\n", checks="\n"
        ),
        "float labels silently converted": _input(
            "    return torch.cat([z, F.one_hot(labels.long(), num_classes).to(z)], dim=1)\n",
            checks="""
    labels = labels.long()
    if labels.dim() != 1 or len(labels) != len(z) or labels.min() < 0 or labels.max() >= num_classes:
        raise ValueError("bad labels")
""",
        ),
        "only the upper end of the range checked": _input(
            "    return torch.cat([z, F.one_hot(labels.long(), num_classes).to(z)], dim=1)\n",
            checks="""
    if labels.is_floating_point() or labels.dtype == torch.bool or labels.shape != (len(z),):
        raise ValueError("bad labels")
    if labels.max() >= num_classes:
        raise ValueError("labels out of range")
""",
        ),
        "a column of labels flattened instead of refused": _input(
            "    return torch.cat([z, F.one_hot(labels.long(), num_classes).to(z)], dim=1)\n",
            checks="""
    labels = labels.reshape(-1)
    if labels.is_floating_point() or labels.dtype == torch.bool or len(labels) != len(z):
        raise ValueError("bad labels")
    if labels.min() < 0 or labels.max() >= num_classes:
        raise ValueError("labels out of range")
""",
        ),
        "one-hot rows made on the CPU (torch.eye)": _input(
            "    return torch.cat([z, torch.eye(num_classes)[labels.long()].to(z.dtype)], dim=1)\n"
        ),
        "one-hot first, then z": _input(
            "    return torch.cat([F.one_hot(labels.long(), num_classes).to(z), z], dim=1)\n"
        ),
        "int64 only (int32 labels fail in F.one_hot)": _input(
            "    return torch.cat([z, F.one_hot(labels, num_classes).to(z)], dim=1)\n"
        ),
        "labels as one extra number instead of a one-hot": _input(
            "    return torch.cat([z, labels[:, None].to(z)], dim=1)\n"
        ),
        "calls the reference": "from helpers.conditional import conditional_input\n",
    },
    "test_label_maps": {
        "height and width swapped": _maps(
            "    maps = F.one_hot(labels, num_classes).to(x)[:, :, None, None].expand(n, num_classes, w, h)\n"
            "    return torch.cat([x, maps], dim=1)\n"
        ),
        "one-hot as wide as the largest label": _maps(
            "    one_hot = F.one_hot(labels).to(x)\n"
            "    maps = one_hot[:, :, None, None].expand(n, one_hot.shape[1], h, w)\n"
            "    return torch.cat([x, maps], dim=1)\n"
        ),
        "maps before the image": _maps(
            "    maps = F.one_hot(labels, num_classes).to(x)[:, :, None, None].expand(n, num_classes, h, w)\n"
            "    return torch.cat([maps, x], dim=1)\n"
        ),
        "maps made on the CPU": _maps(
            "    maps = torch.zeros(n, num_classes, h, w)\n"
            "    maps[torch.arange(n), labels] = 1.0\n"
            "    return torch.cat([x, maps.to(x.dtype)], dim=1)\n"
        ),
        "the label's value as one map": _maps(
            "    return torch.cat([x, labels.to(x)[:, None, None, None].expand(n, 1, h, w)], dim=1)\n"
        ),
        "a one only at the top-left pixel": _maps(
            "    maps = torch.zeros(n, num_classes, h, w, device=x.device, dtype=x.dtype)\n"
            "    maps[torch.arange(n), labels, 0, 0] = 1.0\n"
            "    return torch.cat([x, maps], dim=1)\n"
        ),
        "calls the reference": "from helpers.conditional import label_maps\n",
    },
    "test_projection": {
        "projection term missing": _projection(_PROJ_INIT, "        return self.psi(features)\n"),
        "projection subtracted": _projection(
            _PROJ_INIT,
            "        return self.psi(features) - (self.embed(labels) * features).sum(1, keepdim=True)\n",
        ),
        "inner product summed over the batch": _projection(
            _PROJ_INIT,
            "        return self.psi(features) + (self.embed(labels) * features).sum(0, keepdim=True)\n",
        ),
        "logits of shape [N, N] (keepdim forgotten)": _projection(
            _PROJ_INIT,
            "        return self.psi(features) + (self.embed(labels) * features).sum(1)\n",
        ),
        "mean over the features instead of the sum": _projection(
            _PROJ_INIT,
            "        return self.psi(features) + (self.embed(labels) * features).mean(1, keepdim=True)\n",
        ),
        "psi applied to the product": _projection(
            _PROJ_INIT, "        return self.psi(self.embed(labels) * features)\n"
        ),
        "the embedding as a linear layer on one-hot labels": _projection(
            "        self.psi = nn.Linear(feature_dim, 1)\n"
            "        self.embed = nn.Linear(num_classes, feature_dim)\n"
            "        self.num_classes = num_classes\n",
            "        e = self.embed(F.one_hot(labels, self.num_classes).float())\n"
            "        return self.psi(features) + (e * features).sum(1, keepdim=True)\n",
        ),
        "embed created before psi": _projection(
            "        self.embed = nn.Embedding(num_classes, feature_dim)\n"
            "        self.psi = nn.Linear(feature_dim, 1)\n",
            "        return self.psi(features) + (self.embed(labels) * features).sum(1, keepdim=True)\n",
        ),
        "subclasses the reference": (
            "from helpers import conditional\nclass Projection(conditional.Projection):\n    pass\n"
        ),
    },
    "test_train_step": {
        "fake labels reused from the real batch": _step(
            draw="""    z = torch.randn(n, z_dim, device=images.device)
    fake_labels = labels
    fake = G(z, fake_labels)"""
        ),
        "fake labels from 0 to num_classes - 2 (randint's end is exclusive)": _step(
            draw="""    z = torch.randn(n, z_dim, device=images.device)
    fake_labels = torch.randint(0, num_classes - 1, (n,), device=images.device)
    fake = G(z, fake_labels)"""
        ),
        "fake labels always over ten digits (num_classes ignored)": _step(
            draw="""    z = torch.randn(n, z_dim, device=images.device)
    fake_labels = torch.randint(0, 10, (n,), device=images.device)
    fake = G(z, fake_labels)"""
        ),
        "fake labels left on the CPU": _step(
            draw="""    z = torch.randn(n, z_dim, device=images.device)
    fake_labels = torch.randint(0, num_classes, (n,))
    fake = G(z, fake_labels)"""
        ),
        "new fake labels for the generator's update": _step(
            g_update="""    fake_labels = torch.randint(0, num_classes, (n,), device=images.device)
    fake = G(torch.randn(n, z_dim, device=images.device), fake_labels)
    with fast.frozen(D):
        opt_G.zero_grad()
        g_loss = generator_loss(D(fake, fake_labels))
        g_loss.backward()
        opt_G.step()"""
        ),
        "real images scored with the fake labels": _step(
            d_update="    d_loss = discriminator_loss(D(images, fake_labels), D(fake.detach(), fake_labels))"
        ),
        "fakes scored with the real labels in D's update": _step(
            d_update="    d_loss = discriminator_loss(D(images, labels), D(fake.detach(), labels))"
        ),
        "labels ignored by D": _step(
            d_update="    d_loss = discriminator_loss(D(images), D(fake.detach()))",
            g_update="""    opt_G.zero_grad()
    g_loss = generator_loss(D(fake))
    g_loss.backward()
    opt_G.step()""",
        ),
        "no detach: D's update reaches G": _step(
            d_update="    d_loss = discriminator_loss(D(images, labels), D(fake, fake_labels))"
        ),
        "D not frozen during G's update": _step(
            g_update="""    opt_G.zero_grad()
    g_loss = generator_loss(D(fake, fake_labels))
    g_loss.backward()
    opt_G.step()"""
        ),
        "D left frozen after the step": _step(
            g_update="""    D.requires_grad_(False)
    opt_G.zero_grad()
    g_loss = generator_loss(D(fake, fake_labels))
    g_loss.backward()
    opt_G.step()"""
        ),
        "G updated through the old D (G's loss before D's step)": """
def train_step(G, D, opt_G, opt_D, real, z_dim=64, num_classes=10):
    images, labels = real
    n = images.shape[0]
    z = torch.randn(n, z_dim, device=images.device)
    fake_labels = torch.randint(0, num_classes, (n,), device=images.device)
    fake = G(z, fake_labels)
    with fast.frozen(D):
        g_loss = generator_loss(D(fake, fake_labels))
    opt_D.zero_grad()
    d_loss = discriminator_loss(D(images, labels), D(fake.detach(), fake_labels))
    d_loss.backward()
    opt_D.step()
    opt_G.zero_grad()
    g_loss.backward()
    opt_G.step()
    return {"d_loss": d_loss.item(), "g_loss": g_loss.item()}
""",
        "D switched to eval mode and left there": _step(
            g_update="""    D.eval()
    with fast.frozen(D):
        opt_G.zero_grad()
        g_loss = generator_loss(D(fake, fake_labels))
        g_loss.backward()
        opt_G.step()"""
        ),
        "the returned losses as tensors": _step().replace(
            'return {"d_loss": d_loss.item(), "g_loss": g_loss.item()}',
            'return {"d_loss": d_loss.detach(), "g_loss": g_loss.detach()}',
        ),
        "calls the reference": "from helpers.conditional import train_step\n",
    },
    "test_conditional_accuracy": {
        "labels cycling 0, 1, 2, ... instead of each class in a row": _accuracy(
            _ACC_MASTER_BODY.replace(
                "torch.arange(num_classes, device=device).repeat_interleave(n_per_class)",
                "torch.arange(num_classes, device=device).repeat(n_per_class)",
            ).replace(
                ".reshape(num_classes, n_per_class).mean(dim=1)",
                ".reshape(n_per_class, num_classes).mean(dim=0)",
            )
        ),
        "G left in train mode": _accuracy(
            _ACC_MASTER_BODY.replace("    G.eval()\n", "").replace(
                "    G.train(was_training)\n", ""
            )
        ),
        "G not put back in train mode": _accuracy(
            _ACC_MASTER_BODY.replace("    G.train(was_training)\n", "")
        ),
        "the global generator reseeded": _accuracy(
            _ACC_MASTER_BODY.replace(
                "torch.randn(num_classes * n_per_class, z_dim, generator=torch.Generator().manual_seed(seed))",
                "(torch.manual_seed(seed), torch.randn(num_classes * n_per_class, z_dim))[1]",
            )
        ),
        "autograd left on": _accuracy(
            _ACC_MASTER_BODY.replace(
                "    with torch.no_grad():\n        images", "    if True:\n        images"
            )
        ),
        "codes drawn per class from a fresh generator": """
def conditional_accuracy(G, predict, num_classes=10, n_per_class=100, z_dim=64, seed=0):
    device = next(G.parameters()).device
    was_training = G.training
    G.eval()
    shares = []
    with torch.no_grad():
        for k in range(num_classes):
            z = torch.randn(n_per_class, z_dim, generator=torch.Generator().manual_seed(seed)).to(device)
            wanted = torch.full((n_per_class,), k, device=device)
            shares.append((predict(G(z, wanted)).to(device) == wanted).float().mean())
    G.train(was_training)
    return torch.stack(shares).cpu()
""",
        "one overall share instead of one per class": _accuracy(
            _ACC_MASTER_BODY.replace(
                ".reshape(num_classes, n_per_class).mean(dim=1).cpu()", ".mean().cpu()"
            )
        ),
        "counts instead of shares": _accuracy(
            _ACC_MASTER_BODY.replace(
                ".float().reshape(num_classes, n_per_class).mean(dim=1)",
                ".float().reshape(num_classes, n_per_class).sum(dim=1)",
            )
        ),
        "calls the reference": "from helpers.conditional import conditional_accuracy\n",
    },
    "test_auxiliary_loss": {
        "the fakes scored against the real labels": """
def auxiliary_loss(real_class_logits, real_labels, fake_class_logits, fake_labels):
    return F.cross_entropy(real_class_logits, real_labels) + F.cross_entropy(fake_class_logits, real_labels[: len(fake_labels)])
""",
        "softmax before the cross-entropy": """
def auxiliary_loss(real_class_logits, real_labels, fake_class_logits, fake_labels):
    return (F.cross_entropy(torch.softmax(real_class_logits, 1), real_labels)
            + F.cross_entropy(torch.softmax(fake_class_logits, 1), fake_labels))
""",
        "summed over each batch": """
def auxiliary_loss(real_class_logits, real_labels, fake_class_logits, fake_labels):
    return (F.cross_entropy(real_class_logits, real_labels, reduction="sum")
            + F.cross_entropy(fake_class_logits, fake_labels, reduction="sum"))
""",
        "one mean over both batches": """
def auxiliary_loss(real_class_logits, real_labels, fake_class_logits, fake_labels):
    return F.cross_entropy(torch.cat([real_class_logits, fake_class_logits]), torch.cat([real_labels, fake_labels]))
""",
        "the real half only": """
def auxiliary_loss(real_class_logits, real_labels, fake_class_logits, fake_labels):
    return F.cross_entropy(real_class_logits, real_labels)
""",
        "nll_loss on logits (no log-softmax)": """
def auxiliary_loss(real_class_logits, real_labels, fake_class_logits, fake_labels):
    return F.nll_loss(real_class_logits, real_labels) + F.nll_loss(fake_class_logits, fake_labels)
""",
        "log of the softmax (infinite at confident logits)": """
def auxiliary_loss(real_class_logits, real_labels, fake_class_logits, fake_labels):
    real = -torch.log(torch.softmax(real_class_logits, 1)).gather(1, real_labels[:, None]).mean()
    fake = -torch.log(torch.softmax(fake_class_logits, 1)).gather(1, fake_labels[:, None]).mean()
    return real + fake
""",
        "calls the reference": "from helpers.conditional import auxiliary_loss\n",
    },
    "test_guide": {
        "no penalty": _guide('        loss = F.cross_entropy(logits, target, reduction="sum")\n'),
        "sign flipped (ascent on the cross-entropy)": _guide(
            _GUIDE_LOSS, update="        c = (c + lr * grad).detach().requires_grad_(True)\n"
        ),
        "mean over the batch": _guide(
            "        loss = F.cross_entropy(logits, target) + penalty * (c - start).square().sum(1).mean()\n"
        ),
        "penalty towards the previous step's code": _guide(
            '        loss = F.cross_entropy(logits, target, reduction="sum")'
            " + penalty * (c - c.detach()).square().sum()\n"
        ),
        "penalty on the distance, not its square": _guide(
            '        loss = F.cross_entropy(logits, target, reduction="sum")'
            " + penalty * (c - start + 1e-12).norm(dim=1).sum()\n"
        ),
        "the caller's code changed in place": """
def guide(decode, classifier, code, target, steps=20, lr=0.1, penalty=0.1):
    start = code.detach().clone()
    for _ in range(steps):
        c = code.detach().requires_grad_(True)
        loss = F.cross_entropy(classifier(decode(c)), target, reduction="sum") + penalty * (c - start).square().sum()
        grad, = torch.autograd.grad(loss, c)
        with torch.no_grad():
            code -= lr * grad
    return code.detach().clone()
""",
        "backward() leaves gradients on the networks": """
def guide(decode, classifier, code, target, steps=20, lr=0.1, penalty=0.1):
    start = code.detach()
    c = start.clone().requires_grad_(True)
    for _ in range(steps):
        loss = F.cross_entropy(classifier(decode(c)), target, reduction="sum") + penalty * (c - start).square().sum()
        loss.backward()
        with torch.no_grad():
            c -= lr * c.grad
        c.grad = None
    return c.detach()
""",
        "one step too many": """
def guide(decode, classifier, code, target, steps=20, lr=0.1, penalty=0.1):
    start = code.detach()
    c = start.clone().requires_grad_(True)
    for _ in range(steps + 1 if steps else 0):
        loss = F.cross_entropy(classifier(decode(c)), target, reduction="sum") + penalty * (c - start).square().sum()
        grad, = torch.autograd.grad(loss, c)
        c = (c - lr * grad).detach().requires_grad_(True)
    return c.detach()
""",
        "the target's probability raised instead of its log": _guide(
            "        loss = -torch.softmax(logits, 1).gather(1, target[:, None]).sum()"
            " + penalty * (c - start).square().sum()\n"
        ),
        "the classifier switched to eval mode and left there": """
def guide(decode, classifier, code, target, steps=20, lr=0.1, penalty=0.1):
    classifier.eval()
    start = code.detach()
    c = start.clone().requires_grad_(True)
    for _ in range(steps):
        loss = F.cross_entropy(classifier(decode(c)), target, reduction="sum") + penalty * (c - start).square().sum()
        grad, = torch.autograd.grad(loss, c)
        c = (c - lr * grad).detach().requires_grad_(True)
    return c.detach()
""",
        "calls the reference": "from helpers.conditional import guide\n",
    },
    "test_directions": {
        "difference of the means of the high and low halves": _EDIT
        + """
def find_direction(codes, values):
    order = values.argsort()
    half = len(values) // 2
    d = codes[order[half:]].mean(0) - codes[order[:half]].mean(0)
    return d / d.norm()
""",
        "least squares without an intercept": _EDIT
        + """
def find_direction(codes, values):
    slope = torch.linalg.lstsq(codes, values[:, None]).solution[:, 0]
    return slope / slope.norm()
""",
        "the slope itself, not normalised": _EDIT
        + """
def find_direction(codes, values):
    centred = codes - codes.mean(dim=0)
    return torch.linalg.lstsq(centred, (values - values.mean())[:, None]).solution[:, 0]
""",
        "pointing towards smaller values": _EDIT
        + """
def find_direction(codes, values):
    centred = codes - codes.mean(dim=0)
    slope = torch.linalg.lstsq(centred, (values.mean() - values)[:, None]).solution[:, 0]
    return slope / slope.norm()
""",
        "per-coordinate correlations instead of the fit": _EDIT
        + """
def find_direction(codes, values):
    centred, v = codes - codes.mean(0), values - values.mean()
    d = (centred * v[:, None]).mean(0) / (centred.std(0) * v.std())
    return d / d.norm()
""",
        "edit without normalising the direction": _FIND
        + """
def edit(code, direction, amount):
    amount = torch.as_tensor(amount, dtype=code.dtype)
    return code + (amount[:, None] if amount.dim() else amount) * direction
""",
        "edit in place": _FIND
        + """
def edit(code, direction, amount):
    amount = torch.as_tensor(amount, dtype=code.dtype)
    with torch.no_grad():
        code += (amount[:, None] if amount.dim() else amount) * direction / direction.norm()
    return code
""",
        "one amount per code broadcast along the wrong axis": _FIND
        + """
def edit(code, direction, amount):
    return code + torch.as_tensor(amount, dtype=code.dtype) * (direction / direction.norm())
""",
        "calls the reference": "from helpers.conditional import edit, find_direction\n",
    },
}

RIGHT = {
    "test_conditional_input": {
        "torch.eye on z's device": _input(
            "    eye = torch.eye(num_classes, device=z.device, dtype=z.dtype)\n"
            "    return torch.cat([z, eye[labels.to(z.device).long()]], dim=1)\n"
        ),
        "scatter into zeros like z": _input(
            "    one_hot = z.new_zeros(z.shape[0], num_classes)\n"
            "    one_hot.scatter_(1, labels.to(z.device).long()[:, None], 1.0)\n"
            "    return torch.cat([z, one_hot], dim=1)\n"
        ),
        "labels moved to z's device first, then checked": """
def conditional_input(z, labels, num_classes):
    if not isinstance(labels, torch.Tensor) or torch.is_floating_point(labels) or labels.dtype == torch.bool:
        raise ValueError(f"expected integer class labels, got {getattr(labels, 'dtype', type(labels))}")
    labels = labels.to(z.device)
    if tuple(labels.shape) != (z.shape[0],):
        raise ValueError(f"expected labels of shape ({z.shape[0]},), got {tuple(labels.shape)}")
    if bool((labels < 0).any()) or bool((labels >= num_classes).any()):
        raise ValueError("a label is outside 0..num_classes-1")
    return torch.cat((z, F.one_hot(labels.to(torch.int64), num_classes).type_as(z)), dim=-1)
""",
        "an assert turned into ValueError": """
def conditional_input(z, labels, num_classes):
    try:
        assert labels.dtype in (torch.int8, torch.int16, torch.int32, torch.int64, torch.uint8), "integer labels"
        assert labels.dim() == 1 and labels.numel() == z.shape[0], "one label per code"
        assert int(labels.min()) >= 0 and int(labels.max()) < num_classes, "labels in range"
    except AssertionError as err:
        raise ValueError(f"bad labels: {err}") from None
    return torch.cat([z, F.one_hot(labels.long(), num_classes).to(z.device, z.dtype)], dim=1)
""",
    },
    "test_label_maps": {
        "repeat instead of expand": _maps(
            "    one_hot = F.one_hot(labels, num_classes).to(x)\n"
            "    return torch.cat([x, one_hot.view(n, num_classes, 1, 1).repeat(1, 1, h, w)], dim=1)\n"
        ),
        "ones times the one-hot": _maps(
            "    ones = torch.ones(n, num_classes, h, w, device=x.device, dtype=x.dtype)\n"
            "    return torch.cat([x, ones * F.one_hot(labels.to(x.device), num_classes).to(x)[..., None, None]], 1)\n"
        ),
        "zeros on x's device, filled by index": _maps(
            "    maps = x.new_zeros(n, num_classes, h, w)\n"
            "    maps[torch.arange(n, device=x.device), labels.to(x.device)] = 1\n"
            "    return torch.cat((x, maps), dim=1)\n"
        ),
        "einsum with a ones image": _maps(
            "    one_hot = F.one_hot(labels.to(x.device), num_classes).to(x)\n"
            "    maps = torch.einsum('nk,hw->nkhw', one_hot, torch.ones(h, w, device=x.device, dtype=x.dtype))\n"
            "    return torch.cat([x, maps], dim=1)\n"
        ),
    },
    "test_projection": {
        "einsum": _projection(
            _PROJ_INIT,
            "        return self.psi(features) + torch.einsum('nf,nf->n', self.embed(labels), features)[:, None]\n",
        ),
        "every class's score, then gather": _projection(
            _PROJ_INIT,
            "        scores = features @ self.embed.weight.T\n"
            "        return self.psi(features) + scores.gather(1, labels[:, None])\n",
        ),
        "its own parameters in the same order": _projection(
            "        self.w = nn.Parameter(torch.randn(1, feature_dim) * 0.1)\n"
            "        self.b = nn.Parameter(torch.zeros(1))\n"
            "        self.v = nn.Parameter(torch.randn(num_classes, feature_dim))\n",
            "        return features @ self.w.T + self.b + (self.v[labels] * features).sum(-1, keepdim=True)\n",
        ),
        "batched matrix product": _projection(
            _PROJ_INIT,
            "        inner = torch.bmm(self.embed(labels)[:, None, :], features[:, :, None])[:, :, 0]\n"
            "        return inner + self.psi(features)\n",
        ),
    },
    "test_train_step": {
        "labels drawn before z": _step(
            draw="""    fake_labels = torch.randint(num_classes, size=(n,), device=images.device)
    z = torch.randn(n, z_dim, device=images.device)
    fake = G(z, fake_labels)"""
        ),
        "one D pass over real and fake": _step(
            d_update="""    logits = D(torch.cat([images, fake.detach()]), torch.cat([labels, fake_labels]))
    d_loss = discriminator_loss(logits[:n], logits[n:])"""
        ),
        "requires_grad switched by hand, new z for G": _step(
            g_update="""    for p in D.parameters():
        p.requires_grad_(False)
    opt_G.zero_grad()
    fake = G(torch.randn(n, z_dim, device=images.device), fake_labels)
    g_loss = generator_loss(D(fake, fake_labels))
    g_loss.backward()
    opt_G.step()
    for p in D.parameters():
        p.requires_grad_(True)"""
        ),
        "two backward passes for D, gradients of G's loss taken for G only": """
def train_step(G, D, opt_G, opt_D, real, z_dim=64, num_classes=10):
    x, y = real
    z = torch.randn(x.size(0), z_dim, device=x.device)
    y_fake = torch.randint(0, num_classes, (x.size(0),), device=x.device)
    fake = G(z, y_fake)
    opt_D.zero_grad(set_to_none=True)
    real_loss = F.binary_cross_entropy_with_logits(D(x, y), torch.ones(x.size(0), 1, device=x.device))
    fake_loss = F.binary_cross_entropy_with_logits(D(fake.detach(), y_fake), torch.zeros(x.size(0), 1, device=x.device))
    real_loss.backward()
    fake_loss.backward()
    opt_D.step()
    g_loss = F.binary_cross_entropy_with_logits(D(fake, y_fake), torch.ones(x.size(0), 1, device=x.device))
    params = list(G.parameters())
    grads = torch.autograd.grad(g_loss, params)
    opt_G.zero_grad()
    for p, g in zip(params, grads):
        p.grad = g
    opt_G.step()
    return {"d_loss": (real_loss + fake_loss).item(), "g_loss": g_loss.item(), "real_acc": 0.5}
""",
    },
    "test_conditional_accuracy": {
        "predictions moved to the CPU, a decorator for no_grad": """
@torch.no_grad()
def conditional_accuracy(G, predict, num_classes=10, n_per_class=100, z_dim=64, seed=0):
    device = next(G.parameters()).device
    gen = torch.Generator()
    gen.manual_seed(seed)
    z = torch.randn(num_classes * n_per_class, z_dim, generator=gen)
    wanted = torch.arange(num_classes).repeat_interleave(n_per_class)
    was = G.training
    G.eval()
    try:
        images = G(z.to(device), wanted.to(device))
    finally:
        G.train(was)
    right = predict(images).cpu() == wanted
    return right.float().view(num_classes, -1).mean(1)
""",
        "bincount of the right answers": """
def conditional_accuracy(G, predict, num_classes=10, n_per_class=100, z_dim=64, seed=0):
    device = next(G.parameters()).device
    z = torch.randn(num_classes * n_per_class, z_dim, generator=torch.Generator().manual_seed(seed)).to(device)
    wanted = torch.arange(num_classes).repeat_interleave(n_per_class)
    mode = G.training
    G.train(False)
    with torch.inference_mode():
        read = predict(G(z, wanted.to(device))).cpu()
    G.train(mode)
    hits = torch.bincount(wanted[read == wanted], minlength=num_classes)
    return hits.float() / n_per_class
""",
        "one class at a time from one generator": """
def conditional_accuracy(G, predict, num_classes=10, n_per_class=100, z_dim=64, seed=0):
    device = next(G.parameters()).device
    z = torch.randn(num_classes * n_per_class, z_dim, generator=torch.Generator().manual_seed(seed)).to(device)
    was_training = G.training
    G.eval()
    shares = []
    with torch.no_grad():
        for k in range(num_classes):
            chunk = z[k * n_per_class:(k + 1) * n_per_class]
            wanted = torch.full((n_per_class,), k, dtype=torch.long, device=device)
            shares.append((predict(G(chunk, wanted)).to(device) == wanted).double().mean().item())
    G.train(was_training)
    return torch.tensor(shares, dtype=torch.float32)
""",
    },
    "test_auxiliary_loss": {
        "log-softmax and nll_loss": """
def auxiliary_loss(real_class_logits, real_labels, fake_class_logits, fake_labels):
    return (F.nll_loss(F.log_softmax(real_class_logits, dim=1), real_labels)
            + F.nll_loss(F.log_softmax(fake_class_logits, dim=1), fake_labels))
""",
        "logsumexp written out": """
def auxiliary_loss(real_class_logits, real_labels, fake_class_logits, fake_labels):
    def ce(logits, labels):
        picked = logits.gather(1, labels[:, None])[:, 0]
        return (torch.logsumexp(logits, dim=1) - picked).mean()
    return ce(real_class_logits, real_labels) + ce(fake_class_logits, fake_labels)
""",
        "nn.CrossEntropyLoss": """
def auxiliary_loss(real_class_logits, real_labels, fake_class_logits, fake_labels):
    criterion = nn.CrossEntropyLoss()
    return criterion(real_class_logits, real_labels) + criterion(fake_class_logits, fake_labels)
""",
        "log_softmax without dim (a deprecation warning)": """
def auxiliary_loss(real_class_logits, real_labels, fake_class_logits, fake_labels):
    real = F.nll_loss(F.log_softmax(real_class_logits), real_labels)
    fake = F.nll_loss(F.log_softmax(fake_class_logits), fake_labels)
    return real + fake
""",
    },
    "test_guide": {
        "per-sample losses summed": """
def guide(decode, classifier, code, target, steps=20, lr=0.1, penalty=0.1):
    origin = code.detach()
    current = origin.clone()
    for _ in range(steps):
        current.requires_grad_(True)
        ce = F.cross_entropy(classifier(decode(current)), target, reduction="none")
        loss = (ce + penalty * ((current - origin) ** 2).sum(dim=1)).sum()
        (g,) = torch.autograd.grad(loss, [current])
        current = current.detach() - lr * g
    return current.detach()
""",
        "log-softmax picked by hand": _guide(
            "        picked = F.log_softmax(logits, dim=1).gather(1, target[:, None])\n"
            "        loss = -picked.sum() + penalty * ((c - start) * (c - start)).sum()\n"
        ),
        "the penalty's gradient added by hand": """
def guide(decode, classifier, code, target, steps=20, lr=0.1, penalty=0.1):
    start = code.detach()
    c = start.clone()
    for _ in range(steps):
        leaf = c.clone().requires_grad_(True)
        ce = F.cross_entropy(classifier(decode(leaf)), target, reduction="sum")
        grad = torch.autograd.grad(ce, leaf)[0] + 2 * penalty * (c - start)
        c = c - lr * grad
    return c
""",
        "a copy made with torch.tensor (a warning)": """
def guide(decode, classifier, code, target, steps=20, lr=0.1, penalty=0.1):
    start = torch.tensor(code)
    c = start.clone().requires_grad_(True)
    for _ in range(steps):
        loss = F.cross_entropy(classifier(decode(c)), target, reduction="sum") + penalty * (c - start).square().sum()
        grad, = torch.autograd.grad(loss, c)
        c = (c - lr * grad).detach().requires_grad_(True)
    return c.detach()
""",
    },
    "test_directions": {
        "normal equations": """
def find_direction(codes, values):
    x = codes - codes.mean(0, keepdim=True)
    y = values - values.mean()
    b = torch.linalg.solve(x.T @ x, x.T @ y)
    return b / torch.linalg.vector_norm(b)


def edit(code, direction, amount):
    unit = direction / direction.norm()
    if isinstance(amount, torch.Tensor) and amount.dim() == 1:
        return code + amount.to(code)[:, None] * unit
    return code + amount * unit
""",
        "an intercept column, pseudo-inverse": """
def find_direction(codes, values):
    design = torch.cat([codes, torch.ones(len(codes), 1, dtype=codes.dtype, device=codes.device)], dim=1)
    b = (torch.linalg.pinv(design) @ values)[:-1]
    return b / b.norm()


def edit(code, direction, amount):
    amount = torch.as_tensor(amount, dtype=code.dtype, device=code.device).reshape(-1, 1)
    return code + amount * F.normalize(direction, dim=0)
""",
        "lstsq with only the codes centred": """
def find_direction(codes, values):
    sol = torch.linalg.lstsq(codes - codes.mean(0), values[:, None]).solution.squeeze(1)
    return sol / sol.norm()


def edit(code, direction, amount):
    step = direction / direction.norm()
    amount = torch.as_tensor(amount).to(code)
    return code.clone() + (amount.unsqueeze(-1) if amount.ndim == 1 else amount) * step
""",
    },
}

# (exercise, (earlier exercise, its wrong variant), right variant or None): no exercise of this
# lesson calls a student's earlier function (the step's tests use their own stand-in networks),
# and these cases hold that: an earlier mistake or stub costs nothing here.
INDEPENDENT = [
    ("test_train_step", ("test_conditional_input", "one-hot first, then z"), None),
    ("test_train_step", ("test_projection", "projection term missing"), None),
    ("test_directions", ("test_guide", "no penalty"), None),
]

WARNING = [
    ("test_auxiliary_loss", "log_softmax without dim (a deprecation warning)"),
    ("test_guide", "a copy made with torch.tensor (a warning)"),
]

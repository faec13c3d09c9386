"""Variants built from one template: a whole submission with named parts, each replaceable."""


def fill(template: str, defaults: dict[str, str], **changes: str) -> str:
    """``template`` with each ``{part}`` replaced by ``changes[part]`` if given, else the default."""
    unknown = set(changes) - set(defaults)
    if unknown:
        raise KeyError(f"the template has no part {sorted(unknown)}")
    for part, code in {**defaults, **changes}.items():
        template = template.replace("{" + part + "}", code)
    return template

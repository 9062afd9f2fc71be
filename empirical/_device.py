"""Devices, float types and seeding."""

from __future__ import annotations

import contextlib
import re

import torch

from empirical.errors import DeviceError

_DTYPES = {"float32": torch.float32, "float64": torch.float64}


def resolve_dtype(name: str) -> torch.dtype:
    """``"float32"`` / ``"float64"`` as a torch dtype."""
    try:
        return _DTYPES[name]
    except KeyError:
        raise DeviceError(f"dtype={name!r}: must be 'float32' or 'float64'") from None


def resolve_device(name: str) -> torch.device:
    """``"cpu"`` or ``"cuda[:N]"`` as a torch device; CUDA must be available."""
    if name == "cpu":
        return torch.device("cpu")
    if isinstance(name, str) and name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise DeviceError(f"device={name!r}: no CUDA device is available here; use 'cpu'")
        try:
            device = torch.device(name)
        except RuntimeError:
            raise DeviceError(f"device={name!r}: not a valid CUDA device name") from None
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise DeviceError(
                f"device={name!r}: only {torch.cuda.device_count()} CUDA device(s) here"
            )
        return device
    raise DeviceError(f"device={name!r}: must be 'cpu' or 'cuda' (or 'cuda:N')")


def available_device(requested: str) -> tuple[str, str | None]:
    """The device to run on for a requested ``"cpu"`` / ``"cuda[:N]"``, falling back to the
    CPU when CUDA is asked for but absent.

    Returns ``(device, note)``: ``note`` is ``None`` when the request is honoured, and a
    one-line explanation when ``"cuda[:N]"`` falls back to ``"cpu"``.

    Raises:
        DeviceError: for a name that is neither ``"cpu"`` nor ``"cuda"`` / ``"cuda:N"``,
            or a CUDA index beyond the devices present.
    """
    if requested == "cpu":
        return "cpu", None
    if not isinstance(requested, str) or re.fullmatch(r"cuda(:[0-9]+)?", requested) is None:
        raise DeviceError(f"device={requested!r}: must be 'cpu' or 'cuda' (or 'cuda:N')")
    if not torch.cuda.is_available():
        return "cpu", (f"device={requested!r}: no CUDA device here; the empirical stages run "
                       "on the CPU")
    resolve_device(requested)  # an index beyond the devices present is an error
    return requested, None


@contextlib.contextmanager
def seeded(seed: int):
    """Run a block with torch's global generator seeded, restoring it afterwards."""
    devices = list(range(torch.cuda.device_count())) if torch.cuda.is_available() else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        yield


def generator(seed: int, device: torch.device | str = "cpu") -> torch.Generator:
    """A torch generator seeded with ``seed`` on ``device``."""
    gen = torch.Generator(device=device)
    gen.manual_seed(int(seed) % (2**63))
    return gen

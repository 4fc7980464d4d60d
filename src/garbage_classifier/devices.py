"""Pick the device and the numeric precision that training and evaluation run in."""

from __future__ import annotations

import contextlib
import warnings

import torch

PRECISIONS = ("auto", "float32", "bfloat16", "float16")


def pick_device(requested: str | torch.device | None = None) -> torch.device:
    """Return ``requested``, else the first available of CUDA, Apple MPS and CPU."""
    if requested is not None:
        try:
            device = torch.device(requested)
        except RuntimeError as error:
            raise ValueError(f"Unknown device {requested!r}; expected cuda, mps or cpu.") from error
        if device.type == "cuda" and not torch.cuda.is_available():
            raise ValueError("The device 'cuda' was requested, but PyTorch finds no CUDA GPU; use 'cpu' or omit it.")
        if device.type == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
            raise ValueError("The device 'mps' was requested, but this machine has no Apple GPU; use 'cpu' or omit it.")
        return device
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def cpu_has_fast_bfloat16() -> bool:
    """Whether this CPU has bfloat16 matrix instructions (AVX-512 BF16 or AMX).

    Without them PyTorch emulates bfloat16 on the CPU, which is several times slower than
    float32, so autocast would make training slower instead of faster.
    """
    checks = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
    return any(getattr(torch.cpu, name, lambda: False)() for name in checks)


def resolve_precision(precision: str, device: torch.device) -> str:
    """Turn ``"auto"`` into the fastest safe precision for ``device``.

    ``auto`` gives bfloat16 on CUDA GPUs that support it, float16 on older CUDA GPUs,
    bfloat16 on CPUs with bfloat16 instructions, and float32 everywhere else (Apple MPS
    included, where autocast support varies between PyTorch releases).

    Raises:
        ValueError: ``precision`` is not one of :data:`PRECISIONS`.
    """
    if precision not in PRECISIONS:
        raise ValueError(f"Unknown precision {precision!r}; expected one of: {', '.join(PRECISIONS)}.")
    if precision != "auto":
        if precision == "bfloat16" and device.type == "cpu" and not cpu_has_fast_bfloat16():
            warnings.warn(
                "This CPU has no bfloat16 instructions, so bfloat16 autocast is emulated and "
                "slower than float32. Use precision='auto' or 'float32' here.",
                stacklevel=3,
            )
        return precision
    if device.type == "cuda":
        return "bfloat16" if torch.cuda.is_bf16_supported() else "float16"
    if device.type == "cpu" and cpu_has_fast_bfloat16():
        return "bfloat16"
    return "float32"


def autocast(device: torch.device, precision: str) -> contextlib.AbstractContextManager:
    """Return the autocast context for a resolved precision (a no-op for float32)."""
    if precision == "float32":
        return contextlib.nullcontext()
    dtype = torch.bfloat16 if precision == "bfloat16" else torch.float16
    return torch.autocast(device_type=device.type, dtype=dtype)


def describe_device(device: torch.device) -> str:
    """Return a short human-readable name, such as ``'cuda (NVIDIA T4)'``."""
    if device.type == "cuda":
        return f"cuda ({torch.cuda.get_device_name(device)})"
    if device.type == "cpu":
        return f"cpu ({torch.get_num_threads()} threads)"
    return device.type

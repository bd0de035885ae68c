"""``Compose``, ``ToTensor`` and ``Normalize``, with torchvision's semantics for grey-level images."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch

__all__ = ["Compose", "Normalize", "ToTensor"]


class Compose:
    """Apply transforms one after the other."""

    def __init__(self, transforms: Sequence[Callable[[Any], Any]]) -> None:
        self.transforms = list(transforms)

    def __call__(self, img: Any) -> Any:
        for transform in self.transforms:
            img = transform(img)
        return img

    def __repr__(self) -> str:
        lines = "".join(f"\n    {t}" for t in self.transforms)
        return f"{type(self).__name__}({lines}\n)"


class ToTensor:
    """An (H, W) or (H, W, C) image (uint8 0-255, or PIL) to a float tensor (C, H, W) in [0, 1]."""

    def __call__(self, pic: Any) -> torch.Tensor:
        array = np.array(pic, copy=True)
        if array.ndim == 2:
            array = array[:, :, None]
        if array.ndim != 3:
            raise TypeError(f"ToTensor expects an image of 2 or 3 dimensions, got shape {array.shape}")
        tensor = torch.from_numpy(array).permute(2, 0, 1).contiguous()
        if tensor.dtype == torch.uint8:
            return tensor.float().div(255)
        return tensor.float()

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Normalize:
    """Subtract ``mean`` and divide by ``std``, per channel, of a (C, H, W) tensor."""

    def __init__(self, mean: float | Sequence[float], std: float | Sequence[float], inplace: bool = False) -> None:
        self.mean = mean
        self.std = std
        self.inplace = inplace

    def __call__(self, tensor: torch.Tensor) -> torch.Tensor:
        if not isinstance(tensor, torch.Tensor):
            raise TypeError(f"Normalize expects a torch.Tensor, got {type(tensor).__name__}")
        mean = torch.as_tensor(self.mean, dtype=tensor.dtype).reshape(-1, 1, 1)
        std = torch.as_tensor(self.std, dtype=tensor.dtype).reshape(-1, 1, 1)
        if torch.any(std == 0):
            raise ValueError("std evaluated to zero, leading to division by zero.")
        if not self.inplace:
            tensor = tensor.clone()
        return tensor.sub_(mean).div_(std)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(mean={self.mean}, std={self.std})"

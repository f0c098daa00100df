"""Runs any torch feature network as an ``Embedder``: batched preprocessing, one forward per
chunk of crops, L2-normalised rows."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from numpy.typing import NDArray
from torch import nn

from tracker.device import DeviceChoice
from tracker.reid.preprocess import CropPreprocess, l2_normalize_rows


class TorchEmbedder:
    def __init__(
        self,
        net: nn.Module,
        name: str,
        dim: int,
        preprocess: CropPreprocess,
        device: DeviceChoice,
        max_batch: int = 128,
        warmup: bool = True,
        match_distance: float = 0.2,
    ) -> None:
        self.net = net.eval().to(device.device)
        if device.half:
            self.net.half()
        self.name = name
        self.dim = dim
        self.match_distance = match_distance
        self.preprocess = preprocess
        self.device = device
        self.max_batch = max_batch
        self._mean = torch.tensor(preprocess.mean, device=device.device).view(1, 3, 1, 1) * 255
        self._std = torch.tensor(preprocess.std, device=device.device).view(1, 3, 1, 1) * 255
        if warmup:
            self.embed([np.zeros((32, 16, 3), np.uint8)])

    @torch.inference_mode()
    def embed(self, crops: Sequence[NDArray[np.generic]]) -> NDArray[np.float32]:
        if len(crops) == 0:
            return np.zeros((0, self.dim), np.float32)
        rgb = torch.from_numpy(np.ascontiguousarray(self.preprocess.resize_all(crops)))
        outputs = []
        for start in range(0, len(rgb), self.max_batch):
            chunk = rgb[start : start + self.max_batch].to(self.device.device)
            x = (chunk.permute(0, 3, 1, 2).float() - self._mean) / self._std
            if self.device.half:
                x = x.half()
            outputs.append(self.net(x).float().cpu())
        return l2_normalize_rows(torch.cat(outputs).numpy())

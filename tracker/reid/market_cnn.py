"""The small Market-1501 re-ID CNN of deep_sort_pytorch (``ckpt.t7``).

A ResNet-18-like network for 128x64 crops: a 3x3 stem with max pooling, four stages of two
basic residual blocks (64, 64, 128, 256, 512 channels; stages 2-4 halve the resolution), and
global average pooling; the 512-d pooled vector, L2-normalised, is the embedding. The layout
(names ``conv.*``, ``layer1..4.*``, ``classifier.*``) matches the checkpoint exactly.
"""

from __future__ import annotations

import torch
from torch import nn

EMBEDDING_DIM = 512


class BasicBlock(nn.Module):
    def __init__(self, cin: int, cout: int, downsample: bool) -> None:
        super().__init__()
        stride = 2 if downsample else 1
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample: nn.Module | None = None
        if downsample or cin != cout:
            self.downsample = nn.Sequential(
                nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout)
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x)))))
        identity = x if self.downsample is None else self.downsample(x)
        return self.relu(identity + y)


def _stage(cin: int, cout: int, downsample: bool) -> nn.Sequential:
    return nn.Sequential(BasicBlock(cin, cout, downsample), BasicBlock(cout, cout, False))


class MarketCNN(nn.Module):
    def __init__(self, num_classes: int = 751) -> None:
        super().__init__()
        self.conv = nn.Sequential(
            nn.Conv2d(3, 64, 3, 1, padding=1),
            nn.BatchNorm2d(64),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(3, 2, padding=1),
        )
        self.layer1 = _stage(64, 64, False)
        self.layer2 = _stage(64, 128, True)
        self.layer3 = _stage(128, 256, True)
        self.layer4 = _stage(256, 512, True)
        self.classifier = nn.Sequential(
            nn.Linear(512, 256),
            nn.BatchNorm1d(256),
            nn.ReLU(inplace=True),
            nn.Dropout(),
            nn.Linear(256, num_classes),
        )
        self.feature_dim = EMBEDDING_DIM

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.layer4(self.layer3(self.layer2(self.layer1(self.conv(x)))))
        # The original pools with a fixed 8x4 window, i.e. global pooling at 128x64 input.
        return x.mean(dim=(2, 3))

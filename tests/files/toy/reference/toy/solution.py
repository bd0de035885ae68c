import torch
from torch import nn


def add(a, b):
    return a + b


def scale(x, k):
    return x * k


class Doubler(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.linear = nn.Linear(n, n)

    def forward(self, x):
        return 2 * self.linear(x)

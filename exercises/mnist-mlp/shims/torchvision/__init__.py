"""Offline stand-in for the few parts of ``torchvision`` the MNIST tutorial uses.

The grading machines have no internet and no torchvision (there is no CPU-only
build of it in the grading environment). The grader copies this package into the
kernel's working directory, so a notebook written for the original tutorial runs
unchanged:

* ``torchvision.transforms.Compose``, ``ToTensor`` and ``Normalize``;
* ``torchvision.datasets.MNIST(root, train=..., download=..., transform=...)``,
  backed by ``digits28.npz`` (scikit-learn's handwritten digits resized to 28x28,
  see ``data.py``). ``download`` is accepted and ignored: nothing is fetched.

It is not torchvision: anything else raises AttributeError or ImportError.
"""

from . import datasets, transforms

__version__ = "0.0+offline-shim"
__all__ = ["datasets", "transforms"]

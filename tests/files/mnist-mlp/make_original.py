"""Write original-form.ipynb: a completed mnist-mlp notebook in the tutorial's own form.

It mimics what a student who completed the original MLP activity would submit:
``import torchvision``, the MNIST download through ``torchvision.datasets.MNIST``
with a ``ToTensor``/``Normalize`` pipeline, the model and optimizer set up again in
the training cell, the seed's two plotting cells unchanged, no grader metadata, and
a kernelspec that names a kernel no grading machine has. Offline, the manifest's
torchvision stand-in serves the digits; every exercise must get full marks.

The cell showing 20 test images starts at index 1000, as in the seed, and the
offline test split has 400 images: that cell raises IndexError and the last cell,
which reuses its images, fails too. Neither holds an exercise.

Run from the repository root: ``python tests/files/mnist-mlp/make_original.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2]))

from tests.utils.notebooks import assemble_original_form, solution_source  # noqa: E402


def solution(exercise: str) -> str:
    return solution_source("mnist-mlp", exercise).strip("\n")


SOURCES: list[tuple[str, str]] = [
    ("md", "# Multi-layer perceptron activity\n\nThere are 5 tasks for you to complete the example."),
    ("code", '''# TODO: Run this cell to import relevant packages

import torch  # Main torch import for torch tensors (arrays)
import torch.nn as nn  # Neural network module for building deep learning models
import torch.nn.functional as F  # Functional module, includes activation functions
import torch.optim as optim  # Optimization module
import torchvision  # Vision / image processing package built on top of torch

from matplotlib import pyplot as plt  # Plotting and visualization
from sklearn.metrics import accuracy_score  # Computing accuracy metric'''),
    ("code", '''# TODO: Run this cell to download the data and setup the pre-processing pipeline

# Common practice to normalize input data to neural networks (0 mean, unit variance)
transform = torchvision.transforms.Compose([
    torchvision.transforms.ToTensor(),  # All inputs to PyTorch neural networks must be torch.Tensor
    torchvision.transforms.Normalize(mean=0.1307, std=0.3081)  # Subtracts mean and divides by std. Note that the raw data is between [0, 1]
])

# Download the MNIST data and lazily apply the transformation pipeline
train_data = torchvision.datasets.MNIST('./datafiles/', train=True, download=True, transform=transform)
test_data = torchvision.datasets.MNIST('./datafiles/', train=False, download=True, transform=transform)

# Setup data loaders
# Note: Iterating through the dataloader yields batches of (inputs, targets)
# where inputs is a torch.Tensor of shape (batch, 28, 28) and targets is a torch.Tensor of shape (batch,)
train_loader = torch.utils.data.DataLoader(train_data, batch_size=64, shuffle=True)
test_loader = torch.utils.data.DataLoader(test_data, batch_size=1000)'''),
    ("code", '''# TODO: Run this cell to visualize 20 examples from the test dataset

fig, axs = plt.subplots(4, 5, figsize=(5, 6))

plot_images = []
plot_labels = []

for i, ax in enumerate(axs.flatten(), start=1000):
    (image, label) = test_data[i]

    # Save this data for later
    plot_images.append(image)
    plot_labels.append(label)

    # Plot each image
    ax.imshow(image.squeeze(), cmap="viridis")
    ax.set_title(f"Label: {label}")
    ax.axis("off")
plt.show()

plot_images = torch.cat(plot_images)  # Combine all the images into a single batch for later

print(f"Each image is a torch.Tensor and has shape {image.shape}.")
print(f"The labels are the integers 0 to 9, representing the digits.")'''),
    ("md", "# 1. Complete the implementation of the MLP model"),
    ("code", solution("MultiLayerPerceptron")),
    ("code", '''# TODO: Run this cell to test your implementation. You should expect an output tensor of shape (2, 10)

mlp = MultiLayerPerceptron()
x = torch.randn(2, 28, 28)
z = mlp(x)
z.shape'''),
    ("md", "# 2. Setup optimizer and loss function"),
    ("code", '''# TODO: Instantiate your model and setup the optimizer

model = MultiLayerPerceptron()
optimizer = optim.Adam(model.parameters(), lr=1e-2)'''),
    ("code", '''# TODO: Setup the cross entropy loss function

loss_fn = nn.CrossEntropyLoss()'''),
    ("md", "# 3. Fill in the missing steps of the train and test loop"),
    ("code", solution("train")),
    ("code", solution("test")),
    ("md", "# 4. Train the model for 5 epochs"),
    ("code", '''# TODO: Copy the setup for the model, optimizer, and loss function from Section 2 to here
# Then, run this cell to train the model for 5 epochs
model = MultiLayerPerceptron()
optimizer = optim.Adam(model.parameters(), lr=1e-2)
loss_fn = nn.CrossEntropyLoss()
#####

for epoch in range(5):
    # TODO: Fill in the rest of the arguments to the train and test functions
    train(model, train_loader, loss_fn, optimizer, epoch=epoch)
    test(model, test_loader, loss_fn, epoch=epoch)
    #####'''),
    ("md", "# 5. Visually compare the model predictions"),
    ("code", '''# TODO: Run this cell to visualize the data

# Evaluate the model on the plot_images
model.eval()

with torch.no_grad():
    plot_outputs = model(plot_images)
    plot_preds = torch.argmax(plot_outputs, dim=-1)

# Plot and show the labels
fig, axs = plt.subplots(4, 5, figsize=(7, 8))

for i, ax in enumerate(axs.flatten()):
    image = plot_images[i]
    label = plot_labels[i]
    pred = plot_preds[i]

    ax.imshow(image.squeeze(), cmap="viridis")
    ax.set_title(f"Prediction: {pred}\\nLabel: {label}")
    ax.axis("off")
plt.show()'''),
]


def build() -> nbformat.NotebookNode:
    """The original-form notebook, with stable cell ids (this tutorial has no Colab metadata)."""
    return assemble_original_form(SOURCES, colab=False)

if __name__ == "__main__":
    nbformat.write(build(), HERE / "original-form.ipynb")

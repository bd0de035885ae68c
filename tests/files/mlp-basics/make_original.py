"""Write original-form.ipynb: a completed mlp-basics notebook in the tutorial's own form.

It mimics what a student who completed the original Neuromatch tutorial would submit:
the feedback gadget installed with ``!pip`` and imported from ``vibecheck``,
``content_review(...)`` cells, ``ipywidgets`` and an ``@widgets.interact`` demo,
``%config`` magic, a remote matplotlib style sheet, DataLoaders with worker
processes, the "Uncomment to test" lines uncommented, no grader metadata, and a
kernelspec that names a kernel no grading machine has. Offline, the cells that need
the internet fail; the four exercises must still get full marks.

Run from the repository root: ``python tests/files/mlp-basics/make_original.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2]))

from tests.utils.notebooks import assemble_original_form, solution_source  # noqa: E402
NUM_EPOCHS = 3  # the tutorial trains for 100; a few keep the grading run short
TUTORIAL_EPOCHS = 100  # build(demos=True): the demo as students run it (bench/)


def solution(exercise: str) -> str:
    return solution_source("mlp-basics", exercise).strip("\n")


def feedback(section: str) -> str:
    return f'# @title Submit your feedback\ncontent_review(f"{{feedback_prefix}}_{section}")'


SOURCES: list[tuple[str, str]] = [
    ("md", "# Tutorial 1: Biological vs. Artificial Neural Networks\n**Week 1, Day 3: Multi Layer Perceptrons**"),
    ("md", "---\n# Setup"),
    ("code", '''# @title Install and import feedback gadget

!pip3 install vibecheck datatops --quiet

from vibecheck import DatatopsContentReviewContainer
def content_review(notebook_section: str):
  return DatatopsContentReviewContainer(
    "",  # No text prompt
    notebook_section,
    {
      "url": "https://pmyvdlilci.execute-api.us-east-1.amazonaws.com/klab",
      "name": "neuromatch_dl",
      "user_key": "f379rz8y",
    },
  ).render()


feedback_prefix = "W1D3_T1"'''),
    ("code", '''# Imports
import random

import torch
import numpy as np
import matplotlib.pyplot as plt

import torch.nn as nn
import torch.optim as optim

from tqdm.auto import tqdm
from IPython.display import display
from torch.utils.data import DataLoader, TensorDataset'''),
    ("code", '''# @title Figure settings
import logging
logging.getLogger('matplotlib.font_manager').disabled = True

import ipywidgets as widgets  # Interactive display
%config InlineBackend.figure_format = 'retina'
plt.style.use("https://raw.githubusercontent.com/NeuromatchAcademy/content-creation/main/nma.mplstyle")'''),
    ("code", '''# @title Plotting functions

def imshow(img):
  """
  Helper function to plot unnormalised image
  """
  img = img / 2 + 0.5  # Unnormalize
  npimg = img.numpy()
  plt.imshow(np.transpose(npimg, (1, 2, 0)))
  plt.axis(False)
  plt.show()


def plot_function_approximation(x, relu_acts, y_hat):
  """
  Helper function to plot ReLU activations and
  function approximations
  """
  fig, axes = plt.subplots(2, 1)

  # Plot ReLU Activations
  axes[0].plot(x, relu_acts.T);
  axes[0].set(xlabel='x',
              ylabel='Activation',
              title='ReLU Activations - Basis Functions')
  labels = [f"ReLU {i + 1}" for i in range(relu_acts.shape[0])]
  axes[0].legend(labels, ncol = 2)

  # Plot Function Approximation
  axes[1].plot(x, torch.sin(x), label='truth')
  axes[1].plot(x, y_hat, label='estimated')
  axes[1].legend()
  axes[1].set(xlabel='x',
              ylabel='y(x)',
              title='Function Approximation')

  plt.tight_layout()
  plt.show()'''),
    ("code", '''# @title Set random seed

# @markdown Executing `set_seed(seed=seed)` you are setting the seed

# For DL its critical to set the random seed so that students can have a
# baseline to compare their results to expected results.
# Read more here: https://pytorch.org/docs/stable/notes/randomness.html

# Call `set_seed` function in the exercises to ensure reproducibility.
import random
import torch

def set_seed(seed=None, seed_torch=True):
  """
  Function that controls randomness. NumPy and random modules must be imported.
  """
  if seed is None:
    seed = np.random.choice(2 ** 32)
  random.seed(seed)
  np.random.seed(seed)
  if seed_torch:
    torch.manual_seed(seed)
    torch.cuda.manual_seed_all(seed)
    torch.cuda.manual_seed(seed)
    torch.backends.cudnn.benchmark = False
    torch.backends.cudnn.deterministic = True

  print(f'Random seed {seed} has been set.')


# In case that `DataLoader` is used
def seed_worker(worker_id):
  """
  DataLoader will reseed workers following randomness in
  multi-process data loading algorithm.
  """
  worker_seed = torch.initial_seed() % 2**32
  np.random.seed(worker_seed)
  random.seed(worker_seed)'''),
    ("code", '''# @title Set device (GPU or CPU). Execute `set_device()`
# especially if torch modules used.

# Inform the user if the notebook uses GPU or CPU.
# NOTE: This is mostly a GPU free tutorial.

def set_device():
  """
  Set the device. CUDA if available, CPU otherwise
  """
  device = "cuda" if torch.cuda.is_available() else "cpu"
  if device != "cuda":
    print("GPU is not enabled in this notebook. \\n"
          "If you want to enable it, in the menu under `Runtime` -> \\n"
          "`Hardware accelerator.` and select `GPU` from the dropdown menu")
  else:
    print("GPU is enabled in this notebook. \\n"
          "If you want to disable it, in the menu under `Runtime` -> \\n"
          "`Hardware accelerator.` and select `None` from the dropdown menu")

  return device'''),
    ("code", "SEED = 2021\nset_seed(seed=SEED)\nDEVICE = set_device()"),
    ("md", "---\n# Section 0: Introduction to MLPs"),
    ("code", feedback("Introduction_Video")),
    ("md", "---\n# Section 1: The Need for MLPs"),
    ("code", feedback("Universal_Approximation_Theorem_Video")),
    ("md", "## Coding Exercise 1: Function approximation with ReLU"),
    ("code", solution("approximate_function")),
    ("code", '''# Make training data from sine function
N_train = 10
x_train = torch.linspace(0, 2*np.pi, N_train).view(-1, 1)
y_train = torch.sin(x_train)

## Uncomment the lines below to test your function approximation
y_hat, relu_acts, x = approximate_function(x_train, y_train)
plot_function_approximation(x, relu_acts, y_hat)'''),
    ("code", feedback("Function_approximation_with_ReLU_Exercise")),
    ("md", "---\n# Section 2: MLPs in PyTorch"),
    ("code", feedback("Building_MLPs_in_PyTorch_Video")),
    ("md", "## Coding Exercise 2: Implement a general-purpose MLP in Pytorch"),
    ("code", solution("Net")),
    ("code", '''input = torch.zeros((100, 2))

## Uncomment below to create network and test it on input
net = Net(actv='LeakyReLU(0.1)', input_feature_num=2, hidden_unit_nums=[100, 10, 5], output_feature_num=1).to(DEVICE)
y = net(input.to(DEVICE))
print(f'The output shape is {y.shape} for an input of shape {input.shape}')'''),
    ("code", feedback("Implement_a_general_purpose_MLP_in_PyTorch_Exercise")),
    ("md", "## Section 2.1: Classification with MLPs"),
    ("code", feedback("Cross_Entropy_Video")),
    ("md", "### Coding Exercise 2.1: Implement Batch Cross Entropy Loss"),
    ("code", solution("cross_entropy_loss")),
    ("code", '''labels = torch.tensor([0, 1])
x = torch.tensor([[10.0, 1.0, -1.0, -20.0],  # Correctly classified
                  [10.0, 10.0, 2.0, -10.0]])  # Not correctly classified
CE = nn.CrossEntropyLoss()
pytorch_loss = CE(x, labels).item()

## Uncomment below to test your function
our_loss = cross_entropy_loss(x, labels).item()
print(f'Our CE loss: {our_loss:0.8f}, Pytorch CE loss: {pytorch_loss:0.8f}')
print(f'Difference: {np.abs(our_loss - pytorch_loss):0.8f}')'''),
    ("code", feedback("Implement_Batch_Cross_Entropy_Loss_Exercise")),
    ("md", "## Section 2.2: Spiral Classification Dataset"),
    ("code", '''def create_spiral_dataset(K, sigma, N):
  """
  Function to simulate spiral dataset
  """

  # Initialize t, X, y
  t = torch.linspace(0, 1, N)
  X = torch.zeros(K*N, 2)
  y = torch.zeros(K*N)

  # Create data
  for k in range(K):
    X[k*N:(k+1)*N, 0] = t*(torch.sin(2*np.pi/K*(2*t+k)) + sigma*torch.randn(N))
    X[k*N:(k+1)*N, 1] = t*(torch.cos(2*np.pi/K*(2*t+k)) + sigma*torch.randn(N))
    y[k*N:(k+1)*N] = k

  return X, y


# Set parameters
K = 4
sigma = 0.16
N = 1000

set_seed(seed=SEED)
X, y = create_spiral_dataset(K, sigma, N)
plt.scatter(X[:, 0], X[:, 1], c = y)
plt.xlabel('x1')
plt.ylabel('x2')
plt.show()'''),
    ("md", "## Section 2.3: Training and Evaluation"),
    ("code", feedback("Training_and_Evaluating_an_MLP_Video")),
    ("md", "### Coding Exercise 2.3: Implement it for a classfication task"),
    ("code", solution("shuffle_and_split_data")),
    ("code", '''## Uncomment below to test your function
X_test, y_test, X_train, y_train = shuffle_and_split_data(X, y, seed=SEED)
plt.figure()
plt.scatter(X_test[:, 0], X_test[:, 1], c=y_test)
plt.xlabel('x1')
plt.ylabel('x2')
plt.title('Test data')
plt.show()'''),
    ("code", feedback("Implement_it_for_a_classification_task_Exercise")),
    ("code", '''g_seed = torch.Generator()
g_seed.manual_seed(SEED)

batch_size = 128
test_data = TensorDataset(X_test, y_test)
test_loader = DataLoader(test_data, batch_size=batch_size,
                         shuffle=False, num_workers=2,
                         worker_init_fn=seed_worker,
                         generator=g_seed)

train_data = TensorDataset(X_train, y_train)
train_loader = DataLoader(train_data, batch_size=batch_size, drop_last=True,
                          shuffle=True, num_workers=2,
                          worker_init_fn=seed_worker,
                          generator=g_seed)'''),
    ("code", '''def train_test_classification(net, criterion, optimizer, train_loader,
                              test_loader, num_epochs=1, verbose=True,
                              training_plot=False, device='cpu'):
  """
  Accumulate training loss/Evaluate performance
  """
  net.train()
  training_losses = []
  for epoch in tqdm(range(num_epochs)):  # Loop over the dataset multiple times
    running_loss = 0.0
    for i, data in enumerate(train_loader, 0):
      # Get the inputs; data is a list of [inputs, labels]
      inputs, labels = data
      inputs = inputs.to(device).float()
      labels = labels.to(device).long()

      # Zero the parameter gradients
      optimizer.zero_grad()

      # forward + backward + optimize
      outputs = net(inputs)

      loss = criterion(outputs, labels)
      loss.backward()
      optimizer.step()

      # Print statistics
      if verbose:
        training_losses += [loss.item()]

  net.eval()

  def test(data_loader):
    """
    Function to gauge network performance
    """
    correct = 0
    total = 0
    for data in data_loader:
      inputs, labels = data
      inputs = inputs.to(device).float()
      labels = labels.to(device).long()

      outputs = net(inputs)
      _, predicted = torch.max(outputs, 1)
      total += labels.size(0)
      correct += (predicted == labels).sum().item()

    acc = 100 * correct / total
    return total, acc

  train_total, train_acc = test(train_loader)
  test_total, test_acc = test(test_loader)

  if verbose:
    print(f"Accuracy on the {train_total} training samples: {train_acc:0.2f}")
    print(f"Accuracy on the {test_total} testing samples: {test_acc:0.2f}")

  if training_plot:
    plt.plot(training_losses)
    plt.xlabel('Batch')
    plt.ylabel('Training loss')
    plt.show()

  return train_acc, test_acc'''),
    ("code", feedback("Whats_the_point_of_eval()_and_train()_Discussion")),
    ("code", '''set_seed(SEED)
net = Net('ReLU()', X_train.shape[1], [128], K).to(DEVICE)
criterion = nn.CrossEntropyLoss()
optimizer = optim.Adam(net.parameters(), lr=1e-3)
num_epochs = NUM_EPOCHS

_, _ = train_test_classification(net, criterion, optimizer, train_loader,
                                 test_loader, num_epochs=num_epochs,
                                 training_plot=True, device=DEVICE)'''),
    ("code", '''def sample_grid(M=500, x_max=2.0):
  """
  Helper function to simulate sample meshgrid
  """
  ii, jj = torch.meshgrid(torch.linspace(-x_max, x_max, M),
                          torch.linspace(-x_max, x_max, M),
                          indexing="ij")
  X_all = torch.cat([ii.unsqueeze(-1),
                     jj.unsqueeze(-1)],
                     dim=-1).view(-1, 2)
  return X_all


def plot_decision_map(X_all, y_pred, X_test, y_test,
                      M=500, x_max=2.0, eps=1e-3):
  """
  Helper function to plot decision map
  """
  decision_map = torch.argmax(y_pred, dim=1)

  for i in range(len(X_test)):
    indices = (X_all[:, 0] - X_test[i, 0])**2 + (X_all[:, 1] - X_test[i, 1])**2 < eps
    decision_map[indices] = (K + y_test[i]).long()

  decision_map = decision_map.view(M, M)
  plt.imshow(decision_map, extent=[-x_max, x_max, -x_max, x_max], cmap='jet')
  plt.xlabel('x1')
  plt.ylabel('x2')
  plt.show()'''),
    ("code", '''X_all = sample_grid()
y_pred = net(X_all.to(DEVICE)).cpu()
plot_decision_map(X_all, y_pred, X_test, y_test)'''),
    ("code", feedback("Does_it_generalize_well_Discussion")),
    ("md", "---\n# Bonus: Neuron Physiology and Motivation to Deep Learning"),
    ("code", feedback("Biological_to_Artificial_Neurons_Bonus_Video")),
    ("code", '''def run_LIF(I, T=50, dt=0.1, tau_ref=10,
            Rm=1, Cm=10, Vth=1, V_spike=0.5):
  """
  Simulate the LIF dynamics with external input current
  """
  # Set up array of time steps
  time = torch.arange(0, T + dt, dt)

  # Set up array for tracking Vm
  Vm = torch.zeros(len(time))

  # Iterate over each time step
  t_rest = 0
  for i, t in enumerate(time):

    # If t is after refractory period
    if t > t_rest:
      Vm[i] = Vm[i-1] + 1/Cm*(-Vm[i-1]/Rm + I) * dt

    # If Vm is over the threshold
    if Vm[i] >= Vth:

      # Increase volatage by change due to spike
      Vm[i] += V_spike

      # Set up new refactory period
      t_rest = t + tau_ref

  return time, Vm


sim_time, Vm = run_LIF(1.5)

# Plot the membrane voltage across time
plt.plot(sim_time, Vm)
plt.title('LIF Neuron Output')
plt.ylabel('Membrane Potential (V)')
plt.xlabel('Time (msec)')
plt.show()'''),
    ("code", '''# @title

# @markdown Make sure you execute this cell to enable the widget!

my_layout = widgets.Layout()

@widgets.interact(Rm=widgets.FloatSlider(1., min=1, max=100.,
                                         step=0.1, layout=my_layout),
                  tau_ref=widgets.FloatSlider(1., min=1, max=100.,
                                              step=0.1, layout=my_layout)
                  )


def plot_IF_curve(Rm, tau_ref):
  """
  Helper function to plot frequency-current curve
  """
  T = 1000  # Total time to simulate (msec)
  dt = 1  # Simulation time step (msec)
  Vth = 1  # Spike threshold (V)
  Is_max = 2
  Is = torch.linspace(0, Is_max, 10)
  spike_counts = []
  for I in Is:
    _, Vm = run_LIF(I, T=T, dt=dt, Vth=Vth, Rm=Rm, tau_ref=tau_ref)
    spike_counts += [torch.sum(Vm > Vth)]

  plt.plot(Is, spike_counts)
  plt.title('LIF Neuron: Transfer Function')
  plt.ylabel('Spike count')
  plt.xlabel('I (mA)')
  plt.xlim(0, Is_max)
  plt.ylim(0, 80)
  plt.show()'''),
    ("code", feedback("Real_and_Artificial_neuron_similarities_Bonus_Discussion")),
]


def build(*, demos: bool = False) -> nbformat.NotebookNode:
    """The original-form notebook, with stable cell ids; ``demos``: the tutorial's 100-epoch training run."""
    epochs = str(TUTORIAL_EPOCHS if demos else NUM_EPOCHS)
    return assemble_original_form(
        [(kind, source.replace("NUM_EPOCHS", epochs) if kind == "code" else source) for kind, source in SOURCES])

if __name__ == "__main__":
    nbformat.write(build(), HERE / "original-form.ipynb")

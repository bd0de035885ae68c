"""Write original-form.ipynb: a completed decoding-2022 notebook in the revised tutorial's own form.

It is what a student who completed the revised Neuromatch tutorial (W2D1 Tutorial 1 after
July 2021, W1D5 Tutorial 1 from 2022) would submit, as the tutorial lays it out: video
cells built from ``ipywidgets``, the imports, the data-download cell behind its
``os.path.isfile(fname)`` guard, ``%config`` magic and a remote matplotlib style sheet,
plotting and helper functions (``plot_train_loss`` draws with ``plt.xkcd()``), the 60/40
split, and each exercise filled in place in the same cell as its demo: ``DeepNetReLU``
with the 200-unit decoding of one stimulus, the filled-in mean squared error cell, and
``train`` with the 50-epoch run that rebinds ``net``, ``loss_fn`` and ``train_loss``. No
grader metadata, and a kernelspec that names a kernel no grading machine has. The cells
are our own code in the tutorial's order and names, two-space indented as in Colab.
Offline, the style sheet fails (OSError); the download is skipped because the grader puts
the data file in place; both exercises must still get full marks.

Run from the repository root: ``python tests/files/decoding-2022/make_original.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2]))

from tests.utils.notebooks import assemble_original_form  # noqa: E402


def video_cell(title: str, *, bilibili: str, youtube: str) -> tuple[str, str]:
    """A video cell as the tutorial builds them: two Output widgets (YouTube, Bilibili) in a Tab."""
    return ("code", VIDEO_TEMPLATE.replace("{TITLE}", title).replace("{BILIBILI}", bilibili)
            .replace("{YOUTUBE}", youtube))


VIDEO_TEMPLATE = r'''# @title {TITLE}
from ipywidgets import widgets
from IPython.display import IFrame, YouTubeVideo, display

class PlayVideo(IFrame):
  def __init__(self, id, source, page=1, width=400, height=300, **kwargs):
    self.id = id
    if source == 'Bilibili':
      src = f'https://player.bilibili.com/player.html?bvid={id}&page={page}'
    super(PlayVideo, self).__init__(src, width, height, **kwargs)

tab_contents = []
for source, video_id in (('Youtube', '{YOUTUBE}'), ('Bilibili', '{BILIBILI}')):
  out = widgets.Output()
  with out:
    if source == 'Youtube':
      video = YouTubeVideo(id=video_id, width=854, height=480, fs=1, rel=0)
      print(f'Video available at https://youtube.com/watch?v={video.id}')
    else:
      video = PlayVideo(id=video_id, source=source, width=854, height=480, fs=1)
      print(f'Video available at https://www.bilibili.com/video/{video.id}')
    display(video)
  tab_contents.append(out)

tabs = widgets.Tab()
tabs.children = tab_contents
tabs.set_title(0, 'Youtube')
tabs.set_title(1, 'Bilibili')
display(tabs)'''

SOURCES: list[tuple[str, str]] = [
    ("md", '# Tutorial 1: Decoding Neural Responses\n**Week 1, Day 5: Deep Learning**'),
    ("md", '---\n# Tutorial Objectives\nDecode the orientation of a grating from the responses of V1 neurons '
           'with a feed-forward network trained by gradient descent in PyTorch.'),
    video_cell('Video 1: Decoding from neural data using feed-forward networks in pytorch',
               bilibili='BV1Xa4y1a7Jz', youtube='SlrbMvvBOzM'),
    ("md", '---\n# Setup'),
    ("code", r'''# Imports
import os
import numpy as np

import torch
from torch import nn
from torch import optim

import matplotlib as mpl
from matplotlib import pyplot as plt'''),
    ("code", r'''# @title Data retrieval and loading
import hashlib
import requests

fname = "W3D4_stringer_oribinned1.npz"
url = "https://osf.io/683xc/download"
expected_md5 = "436599dfd8ebe6019f066c38aed20580"

if not os.path.isfile(fname):
  try:
    r = requests.get(url)
  except requests.ConnectionError:
    print("!!! Failed to download data !!!")
  else:
    if r.status_code != requests.codes.ok:
      print("!!! Failed to download data !!!")
    elif hashlib.md5(r.content).hexdigest() != expected_md5:
      print("!!! Data download appears corrupted !!!")
    else:
      with open(fname, "wb") as fid:
        fid.write(r.content)'''),
    ("code", r'''# @title Figure Settings
import ipywidgets as widgets  # interactive display
%config InlineBackend.figure_format = 'retina'
plt.style.use("https://raw.githubusercontent.com/NeuromatchAcademy/course-content/main/nma.mplstyle")'''),
    ("code", r'''# @title Plotting Functions

def plot_data_matrix(X, ax):
  """Heat map of a matrix of neural responses on the axes ax."""
  cax = ax.imshow(X, cmap=mpl.cm.pink, vmin=np.percentile(X, 1), vmax=np.percentile(X, 99))
  plt.colorbar(cax, ax=ax, label='normalized neural response')
  ax.set_aspect('auto')
  ax.set_xticks([])
  ax.set_yticks([])


def plot_train_loss(train_loss):
  """The training loss after each epoch, in the course's hand-drawn style."""
  with plt.xkcd():
    plt.plot(train_loss)
    plt.xlim([0, None])
    plt.ylim([0, None])
    plt.xlabel('epochs of gradient descent')
    plt.ylabel('mean squared error')
    plt.show()'''),
    ("code", r'''# @title Helper Functions

def load_data(data_name=fname, bin_width=1):
  """Responses of mouse V1 neurons to gratings (Stringer et al., 2019), binned by orientation.

  Args:
    data_name (str): the .npz file with `resp` (stimuli x neurons) and `stimuli` (degrees)
    bin_width (float): width in degrees of the bins whose responses are averaged

  Returns:
    resp (torch.Tensor): n_stimuli x n_neurons float32 responses
    stimuli (torch.Tensor): n_stimuli x 1 float32 orientations, in degrees
  """
  with np.load(data_name) as dobj:
    data = dict(**dobj)
  resp = data['resp']
  stimuli = data['stimuli']

  if bin_width > 1:
    edges = np.arange(0, 360 + bin_width, bin_width)
    which = np.digitize(stimuli, edges)
    stimuli = np.array([stimuli[which == b].mean() for b in np.unique(which)])
    resp = np.array([resp[which == b, :].mean(0) for b in np.unique(which)])

  resp_tensor = torch.tensor(resp, dtype=torch.float32)
  stimuli_tensor = torch.tensor(stimuli, dtype=torch.float32).unsqueeze(1)  # a column

  return resp_tensor, stimuli_tensor


def get_data(n_stim, train_data, train_labels):
  """n_stim stimuli drawn at random (with replacement): their responses and orientations.

  Args:
    n_stim (scalar): how many stimuli to draw
    train_data (torch.Tensor): n_train x n_neurons responses
    train_labels (torch.Tensor): n_train x 1 orientations

  Returns:
    (torch.Tensor, torch.Tensor): n_stim x n_neurons responses, n_stim x 1 orientations
  """
  istim = np.random.choice(train_labels.shape[0], n_stim)
  return train_data[istim], train_labels[istim]


def identityLine():
  """The line y = x over the current axes, drawn behind the data."""
  ax = plt.gca()
  lims = np.array([ax.get_xlim(), ax.get_ylim()])
  low, high = lims[:, 0].min(), lims[:, 1].max()
  ax.set_xlim([low, high])
  ax.set_ylim([low, high])
  line = ax.plot([low, high], [low, high], color="0.7")
  line[0].set_zorder(-1)


def stimulus_class(ori, n_classes):
  """The bin (0 to n_classes - 1) of each orientation, for bins of 360 / n_classes degrees."""
  edges = np.linspace(0, 360, n_classes + 1)
  return torch.tensor(np.digitize(ori.squeeze(), edges)) - 1'''),
    ("md", '---\n# Section 1: Load and visualize data'),
    ("code", r'''# @markdown Execute this cell to load and visualize data

resp_all, stimuli_all = load_data()
n_stimuli, n_neurons = resp_all.shape

print(f'{n_neurons} neurons in response to {n_stimuli} stimuli')

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 5))

plot_data_matrix(resp_all[:, :100].T, ax1)  # the first 100 neurons
ax1.set_xlabel('stimulus')
ax1.set_ylabel('neuron')

ineurons = np.random.choice(n_neurons, 3, replace=False)  # tuning curves of three of them
ax2.plot(stimuli_all, resp_all[:, ineurons])
ax2.set_xlabel('stimulus orientation ($^o$)')
ax2.set_ylabel('neural response')
ax2.set_xticks(np.linspace(0, 360, 5))

plt.tight_layout()
plt.show()'''),
    ("code", r'''# @markdown Execute this cell to split into training and test sets

# Set random seeds for reproducibility
np.random.seed(4)
torch.manual_seed(4)

# 60% of the stimuli to train on, the rest to test on
n_train = int(0.6 * n_stimuli)
ishuffle = torch.randperm(n_stimuli)
itrain = ishuffle[:n_train]
itest = ishuffle[n_train:]
stimuli_test = stimuli_all[itest]
resp_test = resp_all[itest]
stimuli_train = stimuli_all[itrain]
resp_train = resp_all[itrain]'''),
    ("md", '---\n# Section 2: Deep feed-forward networks in *pytorch*'),
    video_cell('Video 2: Nonlinear activation functions', bilibili='BV1m5411h7V5', youtube='JAdukDCQALA'),
    ("md", '## Coding Exercise 2: Nonlinear Activations'),
    ("code", r'''class DeepNetReLU(nn.Module):
  """ network with a single hidden layer h with a RELU """

  def __init__(self, n_inputs, n_hidden):
    super().__init__()  # needed to invoke the properties of the parent class nn.Module
    self.in_layer = nn.Linear(n_inputs, n_hidden) # neural activity --> hidden units
    self.out_layer = nn.Linear(n_hidden, 1) # hidden units --> output

  def forward(self, r):

    h = torch.relu(self.in_layer(r))  # rectified hidden units, one row per stimulus
    y = self.out_layer(h)  # the decoded orientation, left linear

    return y


# Set random seeds for reproducibility
np.random.seed(1)
torch.manual_seed(1)

# Initialize a deep network with M=200 hidden units
net = DeepNetReLU(n_neurons, 200)

# Get neural responses (r) to and orientation (ori) to one stimulus in dataset
r, ori = get_data(1, resp_train, stimuli_train)  # using helper function get_data

# Decode orientation from these neural responses using initialized network
out = net(r)  # compute output from network, equivalent to net.forward(r)

print('decoded orientation: %.2f degrees' % out)
print('true orientation: %.2f degrees' % ori)'''),
    ("md", '---\n# Section 3: Loss functions and gradient descent'),
    video_cell('Video 3: Loss functions & gradient descent', bilibili='BV19k4y1271n', youtube='aEtKpzEuviw'),
    ("md", '## Section 3.1: Loss functions'),
    ("code", r'''# Set random seeds for reproducibility
np.random.seed(1)
torch.manual_seed(1)

# Initialize a deep network with M=10 hidden units
net = DeepNetReLU(n_neurons, 10)

# Decode orientation from every neural response of the training set
out = net(resp_train)

# PyTorch's mean squared error loss function
loss_fn = nn.MSELoss()

# Evaluate mean squared error
loss = loss_fn(out, stimuli_train)

print('mean squared error: %.2f' % loss)'''),
    ("md", '## Coding Exercise 3: Gradient descent in PyTorch'),
    ("code", r'''def train(net, loss_fn, train_data, train_labels, n_epochs=50, learning_rate=1e-4):
  """Run gradient descent to opimize parameters of a given network

  Args:
    net (nn.Module): PyTorch network whose parameters to optimize
    loss_fn: built-in PyTorch loss function to minimize
    train_data (torch.Tensor): n_train x n_neurons tensor with neural
      responses to train on
    train_labels (torch.Tensor): n_train x 1 tensor with orientations of the
      stimuli corresponding to each row of train_data
    n_epochs (int, optional): number of epochs of gradient descent to run
    learning_rate (float, optional): learning rate to use for gradient descent

  Returns:
    (list): training loss over iterations

  """

  # Initialize PyTorch SGD optimizer
  optimizer = optim.SGD(net.parameters(), lr=learning_rate)

  # Placeholder to save the loss at each iteration
  train_loss = []

  # Loop over epochs
  for i in range(n_epochs):

    # the network's output on the whole training set
    out = net(train_data)

    # and its loss
    loss = loss_fn(out, train_labels)

    # Clear previous gradients
    optimizer.zero_grad()

    # Compute gradients
    loss.backward()

    # Update weights
    optimizer.step()

    # Store current value of loss
    train_loss.append(loss.item())

    # Track progress
    if (i + 1) % (n_epochs // 5) == 0:
      print(f'iteration {i + 1}/{n_epochs} | loss: {loss.item():.3f}')

  return train_loss


# Set random seeds for reproducibility
np.random.seed(1)
torch.manual_seed(1)

# Initialize network with 10 hidden units
net = DeepNetReLU(n_neurons, 10)

# Initialize built-in PyTorch MSE loss function
loss_fn = nn.MSELoss()

# Run gradient descent on data
train_loss = train(net, loss_fn, resp_train, stimuli_train)

# Plot the training loss over iterations of GD
plot_train_loss(train_loss)'''),
    ("md", '---\n# Section 4: Evaluating model performance\n## Section 4.1: Generalization performance with test data'),
    ("code", r'''# @markdown Execute this cell to evaluate and plot test error

out = net(resp_test)  # decode the held-out stimuli
ori = stimuli_test  # and their true orientations
test_loss = loss_fn(out, ori)  # the mean squared error on the test set

plt.plot(ori, out.detach(), '.')
identityLine()
plt.title('MSE on testing set: %.2f' % test_loss.item())
plt.xlabel('true stimulus orientation ($^o$)')
plt.ylabel('decoded stimulus orientation ($^o$)')
axticks = np.linspace(0, 360, 5)
plt.xticks(axticks)
plt.yticks(axticks)
plt.show()'''),
    ("md", '---\n# Summary\nA feed-forward network decodes orientation from the population; gradient descent '
           'with a PyTorch optimizer trains it.'),
]


def build() -> nbformat.NotebookNode:
    """The original-form notebook, with stable cell ids and the tutorial's Colab metadata."""
    return assemble_original_form(SOURCES)


if __name__ == "__main__":
    nbformat.write(build(), HERE / "original-form.ipynb")

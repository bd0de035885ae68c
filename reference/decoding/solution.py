"""Reference solutions for `decoding` (trusted side only; never sent to a kernel).

`DeepNetReLU`, `train` and `regularized_loss` are the tutorial's own completed code.
`mse_loss`, `weight_sorting` and `classification` are lines inside a cell rather than
one def, so their completed cells are in `CELLS`; `preferred_orientations` gives the
hidden tests the value of the weight_sorting cell on the trusted side.
"""

import numpy as np
import torch
from scipy.ndimage import gaussian_filter1d
from torch import nn, optim

CELLS = {
    "mse_loss": '''\
# Set random seeds for reproducibility
np.random.seed(1)
torch.manual_seed(1)

# Initialize a deep network with M=10 hidden units
net = DeepNetReLU(n_neurons, 10)

# Get neural responses to 20 random stimuli of the training set
r, ori = get_data(20, resp_train, stimuli_train)

# Decode orientation from these neural responses
out = net(r)

# Initialize PyTorch mean squared error loss function (Hint: look at nn.MSELoss)
loss_fn = nn.MSELoss()

# Evaluate mean squared error
loss = loss_fn(out, ori)

print('mean squared error: %.2f' % loss.item())
''',
    "weight_sorting": '''\
from scipy.ndimage import gaussian_filter1d

# first let's smooth the tuning curves to make sure we get an accurate peak
# that isn't just noise
resp_smoothed = gaussian_filter1d(resp_all, 5, axis=0)

# find position of max response for each neuron
# aka preferred orientation for each neuron
preferred_orientation = resp_smoothed.argmax(axis=0)

# resort W_in matrix by preferred orientation
isort = preferred_orientation.argsort()
W_in_sorted = W_in[:, isort]

# plot resorted W_in matrix
plt.figure(figsize=(10, 4))
plt.subplot(1, 2, 1)
plt.imshow(W_in_sorted, aspect='auto', cmap='bwr', vmin=-1e-2, vmax=1e-2)
plt.colorbar()
plt.xlabel('sorted neurons')
plt.ylabel('hidden units')
plt.title('$W_{in}$')

plt.subplot(1, 2, 2)
plt.imshow(W_out.T, cmap='bwr', vmin=-3, vmax=3)
plt.xticks([])
plt.xlabel('output')
plt.ylabel('hidden units')
plt.colorbar()
plt.title('$W_{out}$')
plt.show()
''',
    "classification": '''\
# Set random seeds for reproducibility
np.random.seed(1)
torch.manual_seed(1)

n_classes = 20

# Initialize network
net = DeepNetSoftmax(n_neurons, 20, n_classes)  # use M=20 hidden units

# Initialize built-in PyTorch negative log likelihood loss function
loss_fn = nn.NLLLoss()
''',
}


class DeepNetReLU(nn.Module):
    """ network with a single hidden layer h with a RELU """

    def __init__(self, n_inputs, n_hidden):
        super().__init__()  # needed to invoke the properties of the parent class nn.Module
        self.in_layer = nn.Linear(n_inputs, n_hidden)  # neural activity --> hidden units
        self.out_layer = nn.Linear(n_hidden, 1)  # hidden units --> output

    def forward(self, r):

        h = torch.relu(self.in_layer(r))
        y = self.out_layer(h)

        return y


def train(net, loss_fn, train_data, train_labels,
          n_iter=50, learning_rate=1e-4,
          test_data=None, test_labels=None,
          L2_penalty=0, L1_penalty=0):
    """Run gradient descent to opimize parameters of a given network

    Args:
      net (nn.Module): PyTorch network whose parameters to optimize
      loss_fn: built-in PyTorch loss function to minimize
      train_data (torch.Tensor): n_train x n_neurons tensor with neural
        responses to train on
      train_labels (torch.Tensor): n_train x 1 tensor with orientations of the
        stimuli corresponding to each row of train_data
      n_iter (int, optional): number of iterations of gradient descent to run
      learning_rate (float, optional): learning rate to use for gradient descent
      test_data (torch.Tensor, optional): n_test x n_neurons tensor with neural
        responses to test on
      test_labels (torch.Tensor, optional): n_test x 1 tensor with orientations of
        the stimuli corresponding to each row of test_data
      L2_penalty (float, optional): l2 penalty regularizer coefficient
      L1_penalty (float, optional): l1 penalty regularizer coefficient

    Returns:
      (list): training loss over iterations (and, if test_data is given, also the test loss)

    """

    # Initialize PyTorch SGD optimizer
    optimizer = optim.SGD(net.parameters(), lr=learning_rate)

    # Placeholder to save the loss at each iteration
    train_loss = []
    test_loss = []

    # Loop over epochs
    for i in range(n_iter):

        # compute network output from inputs in train_data
        out = net(train_data)  # compute network output from inputs in train_data

        # evaluate loss function
        if L2_penalty == 0 and L1_penalty == 0:
            # normal loss function
            loss = loss_fn(out, train_labels)
        else:
            # custom loss function from the regularization exercise
            loss = loss_fn(out, train_labels, net.in_layer.weight,
                           L2_penalty, L1_penalty)

        # Clear previous gradients
        optimizer.zero_grad()

        # Compute gradients
        loss.backward()

        # Update weights
        optimizer.step()

        # Store current value of loss
        train_loss.append(loss.item())  # .item() needed to transform the tensor output of loss_fn to a scalar

        # Get loss for test_data, if given (used by the classification and regularization exercises)
        if test_data is not None:
            out_test = net(test_data)
            # evaluate loss function
            if L2_penalty == 0 and L1_penalty == 0:
                # normal loss function
                loss_test = loss_fn(out_test, test_labels)
            else:
                # custom loss function from the regularization exercise
                loss_test = loss_fn(out_test, test_labels, net.in_layer.weight,
                                    L2_penalty, L1_penalty)
            test_loss.append(loss_test.item())  # .item() needed to transform the tensor output of loss_fn to a scalar

        # Track progress
        if (i + 1) % (n_iter // 5) == 0:
            if test_data is None:
                print(f'iteration {i + 1}/{n_iter} | loss: {loss.item():.3f}')
            else:
                print(f'iteration {i + 1}/{n_iter} | loss: {loss.item():.3f} | test_loss: {loss_test.item():.3f}')

    if test_data is None:
        return train_loss
    else:
        return train_loss, test_loss


def regularized_loss(output, target, weights, L2_penalty=0, L1_penalty=0):
    """loss function with L2 and L1 regularization

    Args:
      output (torch.Tensor): output of network (log probabilities of each class)
      target (torch.Tensor): class of each stimulus the network is trying to predict
      weights (torch.Tensor): linear layer weights from neurons to hidden units (net.in_layer.weight)
      L2_penalty : scaling factor of sum of squared weights
      L1_penalty : scaling factor for sum of absolute weights

    Returns:
      (torch.Tensor) negative log likelihood with L1 and L2 penalties added

    """

    loss_fn = nn.NLLLoss()
    loss = loss_fn(output, target)

    L2 = L2_penalty * torch.square(weights).sum()
    L1 = L1_penalty * torch.abs(weights).sum()
    loss += L1 + L2

    return loss


# -- what the cell exercises compute, for the hidden tests ---------------------------

def preferred_orientations(resp_all, sigma=5):
    """`preferred_orientation` as the completed weight_sorting cell computes it from `resp_all`."""
    resp_smoothed = gaussian_filter1d(np.asarray(resp_all), sigma, axis=0)
    return resp_smoothed.argmax(axis=0)


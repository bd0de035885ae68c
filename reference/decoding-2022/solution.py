"""Reference solutions for `decoding-2022` (trusted side only; never sent to a kernel).

The revised decoding tutorial (July 2021 on) keeps two exercises: the `forward` of
`DeepNetReLU` and the gradient-descent loop of `train`, which now runs `n_epochs`
full-batch steps and returns the training loss only (no test data, no penalties).
Its mean squared error cell comes filled in, so it is not graded.
"""

import torch
from torch import nn, optim


class DeepNetReLU(nn.Module):
    """ network with a single hidden layer h with a RELU """

    def __init__(self, n_inputs, n_hidden):
        super().__init__()  # needed to invoke the properties of the parent class nn.Module
        self.in_layer = nn.Linear(n_inputs, n_hidden)  # neural activity --> hidden units
        self.out_layer = nn.Linear(n_hidden, 1)  # hidden units --> output

    def forward(self, r):

        h = torch.relu(self.in_layer(r))  # one row of rectified hidden units per stimulus
        y = self.out_layer(h)  # one decoded orientation per stimulus, of either sign

        return y


def train(net, loss_fn, train_data, train_labels, n_epochs=50, learning_rate=1e-4):
    """Run gradient descent to optimize the parameters of a given network

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
      (list): training loss over epochs

    """

    # Initialize PyTorch SGD optimizer
    optimizer = optim.SGD(net.parameters(), lr=learning_rate)

    # Placeholder to save the loss at each epoch
    train_loss = []

    # Loop over epochs
    for i in range(n_epochs):

        # compute network output from inputs in train_data
        out = net(train_data)

        # evaluate loss function
        loss = loss_fn(out, train_labels)

        # Clear previous gradients
        optimizer.zero_grad()

        # Compute gradients
        loss.backward()

        # Update weights
        optimizer.step()

        # Store current value of loss
        train_loss.append(loss.item())  # the loss before this epoch's step, as a Python number

        # Track progress
        if (i + 1) % max(1, n_epochs // 5) == 0:
            print(f'epoch {i + 1}/{n_epochs} | loss: {loss.item():.3f}')

    return train_loss

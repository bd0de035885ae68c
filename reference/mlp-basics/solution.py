"""Reference solutions for `mlp-basics` (trusted side only; never sent to a kernel).

The code is the tutorial's own completed cells, so its numbers are the ones the
tutorial prints: the cross-entropy example gives 0.34672737 (PyTorch 0.34672749).
"""

import numpy as np
import torch
import torch.nn as nn


def approximate_function(x_train, y_train):
    """
    Function to compute and combine ReLU activations

    Args:
      x_train: torch.tensor
        Training data
      y_train: torch.tensor
        Ground truth labels corresponding to training data

    Returns:
      relu_acts: torch.tensor
        Computed ReLU activations for each point along the x axis (x)
      y_hat: torch.tensor
        Estimated labels/class predictions
        Weighted sum of ReLU activations for every point along x axis
      x: torch.tensor
        x-axis points
    """
    # Number of relus
    n_relus = x_train.shape[0] - 1

    # x axis points (more than x train)
    x = torch.linspace(torch.min(x_train), torch.max(x_train), 1000)

    ## COMPUTE RELU ACTIVATIONS

    # First determine what bias terms should be for each of `n_relus` ReLUs
    b = -x_train

    # Compute ReLU activations for each point along the x axis (x)
    relu_acts = torch.zeros((n_relus, x.shape[0]))

    for i_relu in range(n_relus):
        relu_acts[i_relu, :] = torch.relu(x + b[i_relu])

    ## COMBINE RELU ACTIVATIONS

    # Set up weights for weighted sum of ReLUs
    combination_weights = torch.zeros((n_relus, ))

    # Figure out weights on each ReLU
    prev_slope = 0
    for i in range(n_relus):
        delta_x = x_train[i+1] - x_train[i]
        slope = (y_train[i+1] - y_train[i]) / delta_x
        combination_weights[i] = slope - prev_slope
        prev_slope = slope

    # Get output of weighted sum of ReLU activations for every point along x axis
    y_hat = combination_weights @ relu_acts

    return y_hat, relu_acts, x


class Net(nn.Module):
    """
    Initialize MLP Network
    """

    def __init__(self, actv, input_feature_num, hidden_unit_nums, output_feature_num):
        """
        Initialize MLP Network parameters

        Args:
          actv: string
            Activation function
          input_feature_num: int
            Number of input features
          hidden_unit_nums: list
            Number of units per hidden layer, list of integers
          output_feature_num: int
            Number of output features

        Returns:
          Nothing
        """
        super(Net, self).__init__()
        self.input_feature_num = input_feature_num # Save the input size for reshaping later
        self.mlp = nn.Sequential() # Initialize layers of MLP

        in_num = input_feature_num # Initialize the temporary input feature to each layer
        for i in range(len(hidden_unit_nums)): # Loop over layers and create each one
            out_num = hidden_unit_nums[i] # Assign the current layer hidden unit from list
            layer = nn.Linear(in_num, out_num) # Use nn.Linear to define the layer
            in_num = out_num # Assign next layer input using current layer output
            self.mlp.add_module('Linear_%d'%i, layer) # Append layer to the model with a name

            actv_layer = eval('nn.%s'%actv) # Assign activation function (eval allows us to instantiate object from string)
            self.mlp.add_module('Activation_%d'%i, actv_layer) # Append activation to the model with a name

        out_layer = nn.Linear(in_num, output_feature_num) # Create final layer
        self.mlp.add_module('Output_Linear', out_layer) # Append the final layer

    def forward(self, x):
        """
        Simulate forward pass of MLP Network

        Args:
          x: torch.tensor
            Input data

        Returns:
          logits: Instance of MLP
            Forward pass of MLP
        """
        # Reshape inputs to (batch_size, input_feature_num)
        # Just in case the input vector is not 2D, like an image!
        x = x.view(-1, self.input_feature_num)

        logits = self.mlp(x) # Forward pass of MLP
        return logits


def cross_entropy_loss(x, labels):
    """
    Helper function to compute cross entropy loss

    Args:
      x: torch.tensor
        Model predictions we'd like to evaluate using labels
      labels: torch.tensor
        Ground truth

    Returns:
      avg_loss: float
        Average of the loss vector
    """
    x_of_labels = torch.zeros(len(labels))
    # 1. Prediction for each class corresponding to the label
    for i, label in enumerate(labels):
        x_of_labels[i] = x[i, label]
    # 2. Loss vector for the batch
    losses = -x_of_labels + torch.log(torch.sum(torch.exp(x), axis=1))
    # 3. Return the average of the loss vector
    avg_loss = losses.mean()

    return avg_loss


def shuffle_and_split_data(X, y, seed):
    """
    Helper function to shuffle and split incoming data

    Args:
      X: torch.tensor
        Input data
      y: torch.tensor
        Corresponding target variables
      seed: int
        Set seed for reproducibility

    Returns:
      X_test: torch.tensor
        Test data [20% of X]
      y_test: torch.tensor
        Labels corresponding to above mentioned test data
      X_train: torch.tensor
        Train data [80% of X]
      y_train: torch.tensor
        Labels corresponding to above mentioned train data
    """
    torch.manual_seed(seed)
    # Number of samples
    N = X.shape[0]

    # Shuffle data
    shuffled_indices = torch.randperm(N) # Get indices to shuffle data, could use torch.randperm
    X = X[shuffled_indices]
    y = y[shuffled_indices]

    # Split data into train/test
    test_size = int(0.2 * N) # Assign test datset size using 20% of samples
    X_test = X[:test_size]
    y_test = y[:test_size]
    X_train = X[test_size:]
    y_train = y[test_size:]

    return X_test, y_test, X_train, y_train


def create_spiral_dataset(K, sigma, N):
    """
    Function to simulate spiral dataset

    Args:
      K: int
        Number of classes
      sigma: float
        Standard deviation
      N: int
        Number of data points

    Returns:
      X: torch.tensor
        Spiral data
      y: torch.tensor
        Corresponding ground truth
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

# TODO: Instantiate your model and set up the optimizer
model = MultiLayerPerceptron()
optimizer = optim.Adam([
    {"params": model.hidden.parameters()},
    {"params": model.output.parameters()},
], lr=1e-2)

# TODO: Set up the cross-entropy loss function
loss_fn = lambda outputs, targets: F.cross_entropy(outputs, targets, reduction="mean")
#####

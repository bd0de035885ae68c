model = MultiLayerPerceptron()
optimizer = optim.Adam(list(model.parameters()), lr=1e-2, betas=(0.9, 0.999), weight_decay=0)
loss_fn = nn.CrossEntropyLoss(reduction="mean")

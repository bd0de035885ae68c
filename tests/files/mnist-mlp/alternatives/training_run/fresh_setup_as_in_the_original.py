# Copy the setup for the model, optimizer, and loss function from Section 2 to here
model = MultiLayerPerceptron()
optimizer = optim.Adam(model.parameters(), lr=1e-2)
loss_fn = nn.CrossEntropyLoss()

for epoch in range(5):
    train(model, train_loader, loss_fn, optimizer, epoch=epoch)
    test(model, test_loader, loss_fn, epoch=epoch)

n_epochs = 5
for epoch in range(1, n_epochs + 1):
    train(model=model, train_loader=train_loader, loss_fn=loss_fn, optimizer=optimizer, epoch=epoch)
    test(model=model, test_loader=test_loader, loss_fn=loss_fn, epoch=epoch)

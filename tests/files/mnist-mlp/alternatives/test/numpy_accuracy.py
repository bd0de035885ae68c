def test(model, test_loader, loss_fn, epoch=-1):
    """One pass over the test data; prints the average loss and the accuracy."""
    total_loss = 0
    all_predictions = []
    all_targets = []

    model.eval()
    for i, (inputs, targets) in enumerate(test_loader):
        with torch.no_grad():
            outputs = model.forward(inputs)
            loss = loss_fn(outputs, targets)

            total_loss += loss.item()
            preds = torch.argmax(outputs, dim=-1)
            all_predictions.extend(preds.tolist())
            all_targets.extend(targets.tolist())

    acc = (np.array(all_predictions) == np.array(all_targets)).mean()

    print(f"Epoch {epoch + 1} done. Average test loss = {total_loss / len(test_loader):.2f}, average test accuracy = {acc * 100:.3f}%")

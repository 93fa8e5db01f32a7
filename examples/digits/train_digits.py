"""Train a PyTorch MLP on scikit-learn's digits data set and report validation accuracy.

A synetune (and Syne Tune) training script: hyperparameters arrive as ``--name value``
arguments, metrics leave through ``Reporter``, and the model is checkpointed into
``--st_checkpoint_dir`` every epoch so a paused or restarted trial continues where it stopped.
The data ships with scikit-learn: nothing is downloaded.
"""

from __future__ import annotations

import argparse

from synetune_sdk import (
    Reporter,
    add_checkpointing_to_argparse,
    checkpoint_model_at_rung_level,
    pytorch_load_save_functions,
    resume_from_checkpointed_model,
)


def load_data(seed: int = 0):
    import numpy as np
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).astype(np.float32)
    return train_test_split(X, y, test_size=0.3, random_state=seed, stratify=y)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lr", type=float, default=1e-2)
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--layers", type=int, default=1)
    parser.add_argument("--dropout", type=float, default=0.0)
    parser.add_argument("--batch_size", type=int, default=64)
    parser.add_argument("--weight_decay", type=float, default=0.0)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    add_checkpointing_to_argparse(parser)
    args, _ = parser.parse_known_args()

    import torch
    from torch import nn

    torch.set_num_threads(1)
    torch.manual_seed(args.seed)
    X_train, X_val, y_train, y_val = load_data(args.seed)
    X_train, X_val = torch.from_numpy(X_train), torch.from_numpy(X_val)
    y_train, y_val = torch.from_numpy(y_train).long(), torch.from_numpy(y_val).long()

    layers: list[nn.Module] = []
    width = X_train.shape[1]
    for _ in range(args.layers):
        layers += [nn.Linear(width, args.hidden), nn.ReLU(), nn.Dropout(args.dropout)]
        width = args.hidden
    model = nn.Sequential(*layers, nn.Linear(width, 10))
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    loss_fn = nn.CrossEntropyLoss()

    load_model_fn, save_model_fn = pytorch_load_save_functions(
        {"model": model, "optimizer": optimizer}
    )
    config = vars(args)
    start_epoch = resume_from_checkpointed_model(config, load_model_fn)

    report = Reporter()
    generator = torch.Generator().manual_seed(args.seed)
    for epoch in range(start_epoch + 1, args.epochs + 1):
        model.train()
        order = torch.randperm(len(X_train), generator=generator)
        for start in range(0, len(order), args.batch_size):
            batch = order[start : start + args.batch_size]
            optimizer.zero_grad()
            loss_fn(model(X_train[batch]), y_train[batch]).backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            logits = model(X_val)
            val_loss = loss_fn(logits, y_val).item()
            val_acc = (logits.argmax(dim=1) == y_val).float().mean().item()
        checkpoint_model_at_rung_level(config, save_model_fn, epoch)
        report(epoch=epoch, val_acc=val_acc, val_loss=val_loss)


if __name__ == "__main__":
    main()

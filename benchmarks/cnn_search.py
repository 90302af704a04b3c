"""Choose the compact CNN's shape and training recipe on validation data only.

    # 1. export the course split's train and validation images as arrays (needs TensorFlow)
    python benchmarks/cnn_search.py export --data ../shared/data/brain-tumor-mri \
        --out trainval128.npz.xz
    # 2. train every candidate and print its validation accuracy per epoch (any Keras
    #    backend: KERAS_BACKEND=jax on a GPU machine takes minutes instead of hours)
    python benchmarks/cnn_search.py search --arrays trainval128.npz.xz --epochs 40

The test sets are never loaded here: choices are made on validation accuracy, and each
final model is scored on the test sets once, by ``mri-course train``.
"""

from __future__ import annotations

import argparse
import io
import json
import lzma
import time
from pathlib import Path

import numpy as np

CANDIDATES = {
    # name: (model keyword arguments, recipe)
    "compact": ({"widths": (32, 64, 128, 256)}, {}),
    "compact_wide": ({"widths": (48, 96, 192, 384)}, {}),
    "compact_single": ({"widths": (32, 64, 128, 256), "convs_per_block": 1}, {}),
    "compact_full_res": ({"widths": (16, 32, 64, 128), "stem_stride": 1}, {}),
    "compact_smooth": ({"widths": (32, 64, 128, 256)}, {"label_smoothing": 0.1}),
    "compact_adamw": ({"widths": (32, 64, 128, 256)}, {"weight_decay": 5e-4}),
    "compact_lr3": ({"widths": (32, 64, 128, 256)}, {"learning_rate": 3e-3}),
    "brief": (None, {"optimizer": "adamax", "augment": False}),
}


def _load(path: Path) -> dict[str, np.ndarray]:
    data = path.read_bytes()
    if path.suffix == ".xz":
        data = lzma.decompress(data)
    with np.load(io.BytesIO(data)) as arrays:
        return {key: arrays[key] for key in arrays.files}


def export(data: Path, out: Path, image_size: int, seed: int) -> None:
    """Write the course split's train and validation images (one gray channel) as arrays."""
    from mri_course.data.locate import locate_dataset
    from mri_course.data.pipeline import make_dataset
    from mri_course.data.survey import survey_dataset

    survey = survey_dataset(locate_dataset(data), progress=False)
    splits = survey.splits(val_fraction=0.15, seed=seed)
    arrays = {}
    for name in ("train", "val"):
        dataset = make_dataset(splits.subset(name), image_size, 256, training=False, seed=0)
        images, labels = zip(*((x.numpy(), y.numpy()) for x, y in dataset), strict=True)
        arrays[f"x_{name}"] = np.concatenate(images)[..., 0].astype(np.uint8)
        arrays[f"y_{name}"] = np.concatenate(labels).argmax(axis=1).astype(np.uint8)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    out.write_bytes(lzma.compress(buffer.getvalue(), preset=6))


def search(
    arrays: Path,
    names: list[str],
    epochs: int,
    batch_size: int,
    seed: int,
    time_budget: float = float("inf"),
    augment: str = "full",
) -> None:
    import keras

    from mri_course.data.augment import make_augmentation
    from mri_course.models.cnn import build_brief_cnn, build_compact_cnn

    data = _load(arrays)
    x_train = np.repeat(data["x_train"][..., None], 3, axis=-1)
    x_val = np.repeat(data["x_val"][..., None], 3, axis=-1)
    y_train = keras.utils.to_categorical(data["y_train"], 4)
    y_val = keras.utils.to_categorical(data["y_val"], 4)
    size = x_train.shape[1]
    began = time.perf_counter()
    for name in names:
        if time.perf_counter() - began > time_budget:
            print(json.dumps({"candidate": name, "skipped": "time budget spent"}), flush=True)
            continue
        model_kwargs, recipe = CANDIDATES[name]
        keras.utils.set_random_seed(seed)
        if model_kwargs is None:
            net = build_brief_cnn(image_size=size)
        else:
            net = build_compact_cnn(image_size=size, **model_kwargs)
        # "light" keeps only the mirror: the rotations and zooms run slowly under JAX.
        mode = augment if recipe.get("augment", True) else "none"
        layer = None if mode == "none" else make_augmentation(seed, mode)
        if layer is None:
            model = net
        else:
            inputs = keras.Input(net.input_shape[1:])
            model = keras.Model(inputs, net(layer(inputs)))
        steps = epochs * int(np.ceil(len(x_train) / batch_size))
        rate = keras.optimizers.schedules.CosineDecay(recipe.get("learning_rate", 1e-3), steps)
        if recipe.get("optimizer") == "adamax":
            optimizer = keras.optimizers.Adamax(1e-3)
        elif "weight_decay" in recipe:
            optimizer = keras.optimizers.AdamW(rate, weight_decay=recipe["weight_decay"])
        else:
            optimizer = keras.optimizers.Adam(rate)
        model.compile(
            optimizer=optimizer,
            loss=keras.losses.CategoricalCrossentropy(
                label_smoothing=recipe.get("label_smoothing", 0.0)
            ),
            metrics=["accuracy"],
        )
        start = time.perf_counter()
        history = model.fit(
            x_train,
            y_train,
            batch_size=batch_size,
            epochs=epochs,
            verbose=2,
            validation_data=(x_val, y_val),
        )
        accuracy = history.history["val_accuracy"]
        print(
            json.dumps(
                {
                    "candidate": name,
                    "parameters": net.count_params(),
                    "epochs": epochs,
                    "augment": mode,
                    "seconds": round(time.perf_counter() - start, 1),
                    "val_accuracy_last": round(accuracy[-1], 4),
                    "val_accuracy_best": round(max(accuracy), 4),
                    "val_accuracy_by_epoch": [round(a, 4) for a in accuracy],
                }
            ),
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    out = commands.add_parser("export")
    out.add_argument("--data", type=Path, required=True)
    out.add_argument("--out", type=Path, required=True)
    out.add_argument("--image-size", type=int, default=128)
    out.add_argument("--seed", type=int, default=42)
    run = commands.add_parser("search")
    run.add_argument("--arrays", type=Path, required=True)
    run.add_argument("--candidates", nargs="+", default=list(CANDIDATES), choices=CANDIDATES)
    run.add_argument("--epochs", type=int, default=40)
    run.add_argument("--batch-size", type=int, default=32)
    run.add_argument("--seed", type=int, default=42)
    run.add_argument("--augment", choices=("full", "light", "none"), default="full")
    run.add_argument(
        "--time-budget",
        type=float,
        default=float("inf"),
        help="seconds after which no new candidate starts",
    )
    args = parser.parse_args()
    if args.command == "export":
        export(args.data, args.out, args.image_size, args.seed)
    else:
        search(
            args.arrays,
            args.candidates,
            args.epochs,
            args.batch_size,
            args.seed,
            args.time_budget,
            args.augment,
        )


if __name__ == "__main__":
    main()

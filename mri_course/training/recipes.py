"""How each model is trained in each profile: one table, so a lesson, a command and a test
that ask for the same (model, profile) get the same run."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

from mri_course.config import Profile

MODEL_KINDS = ("cnn", "brief_cnn", "xception")


@dataclass(frozen=True)
class Recipe:
    """The settings of one training run (everything but the data and the seed)."""

    kind: str  # "cnn" (the compact CNN), "brief_cnn" (the original) or "xception"
    image_size: int
    batch_size: int
    epochs: int  # at most; early stopping may end sooner
    learning_rate: float
    optimizer: str  # "adam" (with cosine decay) or "adamax" (constant, the brief's)
    patience: int  # epochs without a lower validation loss before stopping
    augmentation: str = "light"  # one of data.augment.AUGMENTATIONS
    label_smoothing: float = 0.0
    head_epochs: int = 0  # xception: epochs of the head alone, on cached frozen features
    fine_tune_blocks: int = 0  # xception: top blocks trained afterwards (all: 14)
    fine_tune_epochs: int = 0
    fine_tune_learning_rate: float = 1e-4
    train_every_layer: bool = False  # xception, the brief's way: batch norms included
    head_crop: bool = False  # cnn: zoom to the head inside the model (models.framing)

    def to_dict(self) -> dict:
        return asdict(self)

    def with_epochs(self, epochs: int) -> Recipe:
        """The same recipe for ``epochs`` epochs of its main phase (Xception: fine-tuning).

        A cosine schedule spans the whole run, so early stopping waits the whole run too.
        """
        if self.kind == "xception" and self.head_epochs:
            return replace(self, fine_tune_epochs=epochs)
        patience = epochs if self.optimizer == "adam" else self.patience
        return replace(self, epochs=epochs, patience=patience)


def recipe_for(kind: str, profile: Profile) -> Recipe:
    """The recipe of model ``kind`` in ``profile``; see the table in the source."""
    if kind not in MODEL_KINDS:
        raise ValueError(f"model kind must be one of {', '.join(MODEL_KINDS)}, got {kind!r}")
    size, batch = profile.image_size, profile.batch_size
    fast = profile.name == "fast"
    if kind == "cnn":
        epochs = {"fast": 2, "cpu": 12, "full": 40}[profile.name]
        return Recipe("cnn", size, batch, epochs, 1e-3, "adam", patience=epochs)
    if kind == "brief_cnn":
        epochs = 1 if fast else 10
        return Recipe(
            "brief_cnn",
            224 if not fast else size,
            batch,
            epochs,
            1e-3,
            "adamax",
            patience=3,
            augmentation="none",
        )
    transfer_size = profile.transfer_image_size
    if profile.name == "full":  # the brief's recipe: every layer trained, 5 epochs
        return Recipe(
            "xception",
            transfer_size,
            batch,
            5,
            1e-3,
            "adamax",
            patience=5,
            augmentation="none",
            fine_tune_blocks=14,
            train_every_layer=True,
        )
    return Recipe(
        "xception",
        transfer_size,
        batch,
        epochs=0,
        learning_rate=1e-3,
        optimizer="adamax",
        patience=5,
        augmentation="light",
        head_epochs=2 if fast else 20,
        fine_tune_blocks=2,
        fine_tune_epochs=1 if fast else 3,
    )

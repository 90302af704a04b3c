"""The ``mri-course`` command.

    mri-course settings                  what the course will use (profile, folders, seed)
    mri-course data verify               check the dataset: counts, every file decodes
    mri-course data leakage              duplicates and leakage between Training and Testing
    mri-course data splits               the course split and the brief's split, as tables
    mri-course data benchmark            tf.data versus a plain Pillow loop
    mri-course train cnn|brief_cnn|xception   train with the profile's recipe, save with a card
    mri-course evaluate MODEL            every test set side by side, with intervals (JSON, md)
    mri-course audit MODEL               beyond the test set: the file-only baseline, a healthy
                                         brain in three planes, stress tests (JSON)
    mri-course progress                  the state of every exercise

Every data command takes ``--data PATH`` (else ``MRI_COURSE_DATA``, else a Kaggle
download; with ``--profile fast``, synthetic data).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from mri_course.config import SettingsError, load_settings
from mri_course.io import FolderNotWritableError, check_writable_folder


def _settings(args: argparse.Namespace):
    settings = load_settings()
    profile = getattr(args, "profile", None)
    return settings.with_profile(profile) if profile else settings


def _survey(args: argparse.Namespace):
    from mri_course.data.locate import dataset_root, locate_dataset
    from mri_course.data.survey import survey_dataset

    settings = _settings(args)
    data = getattr(args, "data", None)
    root = locate_dataset(data) if data else dataset_root(settings)
    return survey_dataset(root, cache_dir=settings.cache_dir, progress=not args.quiet)


def _timed(label: str, start: float, quiet: bool) -> None:
    if not quiet:
        print(f"({label} in {time.perf_counter() - start:.1f} s)", file=sys.stderr)


def cmd_settings(args: argparse.Namespace) -> int:
    print(_settings(args).describe())
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    start = time.perf_counter()
    report = _survey(args).verify()
    print(report.to_text())
    _timed("verified", start, args.quiet)
    return 0 if report.ok else 1


def cmd_leakage(args: argparse.Namespace) -> int:
    start = time.perf_counter()
    report = _survey(args).leakage()
    print(report.to_text())
    if report.examples:
        print("\nExamples (Testing image ~ Training image):")
        for example in report.examples[:6]:
            print(f"  {example.test} ~ {example.train} ({example.kind}, {example.similarity:.3f})")
    if args.json:
        from mri_course.io import atomic_write_text

        atomic_write_text(args.json, report.to_json())
        print(f"\nwrote {args.json}")
    _timed("leakage report", start, args.quiet)
    return 0


def cmd_splits(args: argparse.Namespace) -> int:
    settings = _settings(args)
    survey = _survey(args)
    print(survey.splits(settings.profile.val_fraction, settings.seed).to_text())
    print()
    print(survey.brief_splits().to_text())
    return 0


def cmd_benchmark(args: argparse.Namespace) -> int:
    from mri_course.data.benchmark import measure_throughput

    records = _survey(args).usable_records
    if args.limit:
        records = records[: args.limit]
    size = args.image_size or _settings(args).profile.image_size
    print(measure_throughput(records, image_size=size).to_text())
    return 0


def recorded_command(arguments: list[str], profile: str) -> str | None:
    """The command a model card records: the arguments as given, with the profile named
    even when it came from ``MRI_COURSE_PROFILE``, so the line alone runs the same recipe."""
    if not arguments:
        return None
    named = any(a == "--profile" or a.startswith("--profile=") for a in arguments)
    extra = [] if named else ["--profile", profile]
    return "mri-course " + " ".join(arguments[:2] + extra + arguments[2:])


def cmd_train(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from mri_course.models.transfer import WeightsUnavailableError
    from mri_course.training import train
    from mri_course.training.recipes import recipe_for

    settings = _settings(args)
    if args.ship and (args.kind != "cnn" or settings.profile.synthetic):
        print(
            "mri-course: only the compact CNN trained on the real data (train cnn, profile cpu "
            "or full) can be shipped",
            file=sys.stderr,
        )
        return 2
    command = recorded_command(args.argv, settings.profile.name)
    check_writable_folder(settings.models_dir, "trained model")
    recipe = recipe_for(args.kind, settings.profile)
    if args.augmentation:
        from mri_course.data.augment import AUGMENTATIONS

        if args.augmentation not in AUGMENTATIONS:
            print(
                f"mri-course: --augmentation must be one of {', '.join(AUGMENTATIONS)}, "
                f"got {args.augmentation!r}",
                file=sys.stderr,
            )
            return 2
        recipe = replace(recipe, augmentation=args.augmentation)
    if args.head_crop:
        if args.kind != "cnn":
            print("mri-course: --head-crop is for the compact CNN (train cnn)", file=sys.stderr)
            return 2
        recipe = replace(recipe, head_crop=True)
    if args.label_smoothing is not None:
        if not 0 <= args.label_smoothing < 1:
            print(
                "mri-course: --label-smoothing must be at least 0 and below 1 (0.1 is usual), "
                f"got {args.label_smoothing}",
                file=sys.stderr,
            )
            return 2
        recipe = replace(recipe, label_smoothing=args.label_smoothing)
    survey, repeats = _survey(args), None  # once: the run, the repeats and the calibration
    if args.balance_planes:
        from mri_course.audit.planes import plane_balancing_repeats

        training = [r for r in survey.usable_records if r.split == "Training"]
        repeats = plane_balancing_repeats(training)
    try:
        result = train(
            args.kind,
            settings,
            epochs=args.epochs,
            name=args.name,
            survey=survey,
            command=command,
            verbose=0 if args.quiet else 1,
            recipe=recipe,
            train_repeats=repeats,
        )
    except WeightsUnavailableError as error:
        print(f"mri-course: {error}", file=sys.stderr)
        return 2
    from mri_course.evaluation.uncertainty import record_uncertainty
    from mri_course.training.save import load_card

    splits = survey.splits(settings.profile.val_fraction, settings.seed)
    fitted = record_uncertainty(result.model, result.path, splits.val)
    card = load_card(result.path)
    print(f"saved {result.path} (model card: {result.path.with_suffix('.card.json').name})")
    print(f"  temperature {fitted.temperature:.3f}, 95% sets fitted on validation")
    if args.ship:
        from mri_course.models.shipped import SHIPPED_CNN, for_inference
        from mri_course.training.save import save_trained_model

        save_trained_model(for_inference(result.model), card, result.history, SHIPPED_CNN)
        print(f"shipped as {SHIPPED_CNN}")
    for subset, scores in result.card["metrics"].items():
        if scores.get("images"):
            print(f"  {subset:<11} accuracy {scores['accuracy']:.4f} on {scores['images']} images")
    training = result.card["training"]
    epochs = training["epochs_run"]
    minutes = training["wall_time_seconds"] / 60
    print(f"  {epochs} epoch{'s' if epochs != 1 else ''} in {minutes:.1f} min")
    return 0


def cmd_calibrate(args: argparse.Namespace) -> int:
    """Fit a trained model's temperature and 95% sets on validation; record them in its card."""
    from mri_course.evaluation.uncertainty import record_uncertainty
    from mri_course.training.save import card_path

    settings = _settings(args)
    model, card, name, source = _model_to_evaluate(args.model, settings)
    if card is None:
        print(
            f"mri-course: {source} has no model card to record the calibration in", file=sys.stderr
        )
        return 2
    split = card.get("data", {}).get("split", {})
    splits = _survey(args).splits(
        split.get("val_fraction", settings.profile.val_fraction), split.get("seed", settings.seed)
    )
    fitted = record_uncertainty(model, Path(source), splits.val)
    print(f"{name}: temperature {fitted.temperature:.3f}; recorded in {card_path(Path(source))}")
    return 0


def _model_to_evaluate(spec: str, settings):
    """``(model, card, name, source)`` for a model key (shipped_cnn, cnn, xception) or a path.

    The card is None when there is none or it describes another version of the model file
    (an interrupted run); a note on stderr says why, as for a card too old to be checked.
    """
    from mri_course.training.registry import course_models
    from mri_course.training.save import checked_card

    for entry in course_models(settings):
        if spec == entry.key:
            model = entry.load()
            card, note = entry.checked_card()
            if note:
                print(f"mri-course: {note}", file=sys.stderr)
            return model, card, entry.key, str(entry.path)
    path = Path(spec)
    if path.suffix == ".keras" and not path.is_file():
        raise FileNotFoundError(
            f"no model file {spec!r}: train it first (its command is in the README's Training "
            f"section), or check the path; the course's models are in {settings.models_dir}"
        )
    if path.suffix != ".keras":
        keys = ", ".join(entry.key for entry in course_models(settings))
        named = settings.models_dir / f"{path.name}.keras"
        hint = f"; did you mean {named}?" if path.suffix == "" and named.is_file() else ""
        raise FileNotFoundError(
            f"{spec!r} is neither a model file (.keras) nor one of the course's models "
            f"({keys}){hint}"
        )
    import keras

    model = keras.models.load_model(path)
    card, note = checked_card(path)
    if note:
        print(f"mri-course: {note}", file=sys.stderr)
    return model, card, path.stem, str(path)


def cmd_evaluate(args: argparse.Namespace) -> int:
    from mri_course.evaluation import evaluate_model
    from mri_course.io import atomic_write_text

    settings = _settings(args)
    out = check_writable_folder(args.out or settings.models_dir / "reports", "evaluation report")
    model, card, name, source = _model_to_evaluate(args.model, settings)
    survey = _survey(args)
    split = (card or {}).get("data", {}).get("split", {})
    val_fraction = split.get("val_fraction", settings.profile.val_fraction)
    seed = split.get("seed", settings.seed)
    report, _ = evaluate_model(
        model, survey.splits(val_fraction, seed), survey.brief_splits(), name, source
    )
    print(report.to_text())
    for suffix, text in (
        (".evaluation.json", report.to_json()),
        (".evaluation.md", report.to_markdown()),
    ):
        written = atomic_write_text(Path(out) / f"{name}{suffix}", text)
        print(f"wrote {written}")
    return 0


AUDITS = ("metadata", "mni152", "stress")


def cmd_audit(args: argparse.Namespace) -> int:
    """What the test set cannot show: each audit prints its table, all go into one JSON."""
    import json
    from dataclasses import asdict

    from mri_course.audit import metadata, mni152, stress
    from mri_course.io import atomic_write_text

    settings = _settings(args)
    out_folder = check_writable_folder(args.out or settings.models_dir / "reports", "audit")
    model, _, name, source = _model_to_evaluate(args.model, settings)
    found: dict = {"model": name, "source": source}
    if {"metadata", "stress"} & set(args.only):
        survey = _survey(args)
        splits = survey.splits(settings.profile.val_fraction, settings.seed)
    if "metadata" in args.only:
        baseline = metadata.fit_metadata_baseline(survey, splits, seed=settings.seed)
        print("A classifier that sees only the file, never the brain (the shortcut's yardstick):")
        print(metadata.baseline_markdown([baseline]) + "\n")
        found["metadata_baseline"] = asdict(baseline)
    if "mni152" in args.only:
        scores = mni152.score_planes(model)
        print(f"{name} on a healthy brain it never saw (MNI152, truth: notumor):")
        for plane, score in scores.items():
            print(
                f"  {plane:<9} {score.share_notumor:6.1%} called notumor, "
                f"{score.wrong_at()} of {score.slices} wrong at >= {mni152.CONFIDENT:.0%}"
            )
        found["mni152"] = {plane: score.summary() for plane, score in scores.items()}
    if "stress" in args.only:
        result = stress.run_stress(model, splits.clean_test)
        print(f"\n{name} on the clean test ({result.accuracy:.2%}) under each perturbation:")
        for outcome in result.outcomes:
            print(
                f"  {outcome.label:<40} {outcome.accuracy:7.2%} "
                f"({100 * outcome.accuracy_change:+.1f} points, "
                f"{outcome.changed_share:.1%} changed)"
            )
        found["stress_clean_test"] = result.summary()
    out = out_folder / f"{name}.audit.json"
    written = atomic_write_text(out, json.dumps(found, indent=2) + "\n")
    print(f"wrote {written}")
    return 0


def cmd_progress(args: argparse.Namespace) -> int:
    from mri_course.checks import ERROR, FAILED, format_progress, progress

    outcomes = progress()
    print(format_progress(outcomes))
    return 1 if any(o.state in (FAILED, ERROR) for o in outcomes) else 0


def build_parser() -> argparse.ArgumentParser:
    # --profile is accepted before or after the command: `mri-course data verify --profile fast`.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--profile",
        default=argparse.SUPPRESS,
        help="fast, cpu or full (default: MRI_COURSE_PROFILE)",
    )
    parser = argparse.ArgumentParser(
        prog="mri-course",
        description="Brain MRI course: data checks and exercise progress.",
        parents=[common],
    )
    commands = parser.add_subparsers(dest="command", required=True)

    for name, handler, help_text in (
        ("settings", cmd_settings, "show the settings in use"),
        ("progress", cmd_progress, "state of every exercise"),
    ):
        commands.add_parser(name, help=help_text, parents=[common]).set_defaults(run=handler)

    trainer = commands.add_parser(
        "train", help="train a model with the profile's recipe", parents=[common]
    )
    trainer.add_argument(
        "kind",
        choices=("cnn", "brief_cnn", "xception"),
        help="cnn: the compact CNN; brief_cnn: the original; xception: transfer",
    )
    trainer.add_argument("--epochs", type=int, help="override the recipe's number of epochs")
    trainer.add_argument("--name", help="file name in the models folder (default KIND_PROFILE)")
    trainer.add_argument("--quiet", action="store_true", help="no progress bars")
    trainer.add_argument(
        "--augmentation",
        help="override the recipe's augmentation: none, light, full, robust or framed "
        "(see mri_course.data.augment)",
    )
    trainer.add_argument(
        "--head-crop",
        action="store_true",
        help="cnn: zoom each scan to its head inside the model (mri_course.models.framing)",
    )
    trainer.add_argument(
        "--label-smoothing",
        type=float,
        help="override the recipe's label smoothing: the share of each target spread over "
        "the other classes (keras.losses.CategoricalCrossentropy)",
    )
    trainer.add_argument(
        "--balance-planes",
        action="store_true",
        help="repeat the rare slice planes of each class (audit.planes.plane_balancing_repeats)",
    )
    trainer.add_argument(
        "--ship", action="store_true", help="also make it the course's shipped model (maintainers)"
    )
    trainer.set_defaults(run=cmd_train)

    calibrator = commands.add_parser(
        "calibrate",
        help="fit a model's temperature and 95%% prediction sets on validation, into its card",
        parents=[common],
    )
    calibrator.add_argument(
        "model", help="shipped_cnn, cnn, xception (the course's models) or a .keras file"
    )
    calibrator.add_argument(
        "--data", type=Path, help="dataset folder (with Training/ and Testing/)"
    )
    calibrator.add_argument("--quiet", action="store_true", help="no progress bar")
    calibrator.set_defaults(run=cmd_calibrate)

    evaluator = commands.add_parser(
        "evaluate", help="score a model on every test set, with intervals", parents=[common]
    )
    evaluator.add_argument(
        "model", help="shipped_cnn, cnn, xception (the course's models) or a .keras file"
    )
    evaluator.add_argument("--data", type=Path, help="dataset folder (with Training/ and Testing/)")
    evaluator.add_argument("--out", type=Path, help="folder for the JSON and markdown reports")
    evaluator.add_argument("--quiet", action="store_true", help="no progress bar")
    evaluator.set_defaults(run=cmd_evaluate)

    auditor = commands.add_parser(
        "audit", help="beyond the test set: shortcuts, other brains, stress", parents=[common]
    )
    auditor.add_argument(
        "model", help="shipped_cnn, cnn, xception (the course's models) or a .keras file"
    )
    auditor.add_argument(
        "--only", nargs="+", choices=AUDITS, default=list(AUDITS), help="run only these audits"
    )
    auditor.add_argument("--data", type=Path, help="dataset folder (with Training/ and Testing/)")
    auditor.add_argument("--out", type=Path, help="folder for the JSON report")
    auditor.add_argument("--quiet", action="store_true", help="no progress bar")
    auditor.set_defaults(run=cmd_audit)

    data = commands.add_parser("data", help="check and describe the dataset", parents=[common])
    data_commands = data.add_subparsers(dest="data_command", required=True)

    def data_command(name: str, handler, help_text: str) -> argparse.ArgumentParser:
        sub = data_commands.add_parser(name, help=help_text, parents=[common])
        sub.add_argument("--data", type=Path, help="dataset folder (with Training/ and Testing/)")
        sub.add_argument("--quiet", action="store_true", help="no progress bar or timing")
        sub.set_defaults(run=handler)
        return sub

    data_command("verify", cmd_verify, "counts, formats, and every file decodes")
    leakage = data_command("leakage", cmd_leakage, "duplicates across and within splits")
    leakage.add_argument("--json", type=Path, help="also write the report as JSON here")
    data_command("splits", cmd_splits, "subset sizes of the course split and the brief's")
    bench = data_command("benchmark", cmd_benchmark, "tf.data throughput vs a Pillow loop")
    bench.add_argument("--limit", type=int, default=0, help="use only the first N images")
    bench.add_argument("--image-size", type=int, help="side in pixels (default: the profile's)")
    return parser


def main(argv: list[str] | None = None) -> int:
    from mri_course.data.locate import DatasetNotFoundError

    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser().parse_args(argv)
    args.argv = argv  # what a model card records as its command
    try:
        return args.run(args)
    except (
        SettingsError,
        DatasetNotFoundError,
        FileNotFoundError,
        FolderNotWritableError,
        ValueError,
    ) as error:
        print(f"mri-course: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

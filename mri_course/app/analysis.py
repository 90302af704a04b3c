"""Analyse one scan with one model: the prediction, the saliency map, the OOD check, the report.

This is what the app does for every scan, in one call, so that the page only lays results
out and a notebook or a test can do exactly what the page does:

    compiled = CompiledModel(keras.models.load_model(path))  # once per model (slow)
    analysis = analyse_scan(compiled, pixels, "gradcam", "cnn_cpu", detector)  # per scan
    analysis.predicted_class, analysis.overlay, analysis.ood.looks_like_mri
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

import keras
import numpy as np
import tensorflow as tf

from mri_course import __version__
from mri_course.app.ood import FeatureDetector, OodVerdict, check_image
from mri_course.audit.caution import cautions_for
from mri_course.audit.planes import predict_plane
from mri_course.data.decode import png_bytes
from mri_course.data.pipeline import prepare_pixels
from mri_course.data.release import CLASS_NAMES
from mri_course.evaluation.uncertainty import Uncertainty
from mri_course.explain.offline import Explanation
from mri_course.explain.prompt import PredictionFacts
from mri_course.saliency.maps import CompiledMaps, score_layer
from mri_course.saliency.names import APP_METHODS, METHODS
from mri_course.saliency.overlay import SaliencyMap, saliency_legend, saliency_overlay
from mri_course.saliency.summary import EmptySaliencyError, RegionSummary, region_summary

NOT_A_DIAGNOSTIC_DEVICE = (
    "Educational tool, not a diagnostic device. Its predictions and explanations come from a "
    "model trained for a course and must never be used to diagnose, treat or reassure anyone."
)


def scan_key(pixels: np.ndarray) -> str:
    """A fingerprint of an image's pixels: equal keys, equal images (a SHA-256 hex digest).

    The app keys its cached explanations by it, so the same scan uploaded twice (or under
    another name) reuses the explanation, and a different scan never does. The shape and
    the dtype are hashed along with the bytes: two images with the same bytes but other
    shapes (a 64 x 128 and a 128 x 64 one) are different images.

    Args:
        pixels: an image array, e.g. ``uint8`` ``(height, width, 3)``; it may be a
            non-contiguous view (a crop or a flipped image).

    Returns:
        A 64-character hexadecimal string.

    Hints:
        - `array = np.ascontiguousarray(pixels)`: a flipped view and its copy then have the
          same bytes.
        - `digest = hashlib.sha256()`, then `digest.update(...)` with the dtype and the
          shape as text (`f"{array.dtype.str}{array.shape}".encode()`) and with
          `array.tobytes()`.
        - Return `digest.hexdigest()`.
    """
    array = np.ascontiguousarray(pixels)
    digest = hashlib.sha256()
    digest.update(f"{array.dtype.str}{array.shape}".encode())
    digest.update(array.tobytes())
    return digest.hexdigest()


class CompiledModel:
    """A classifier with its prediction and its saliency maps compiled, built once per model.

    Tracing the ``tf.function`` s takes a second or two; a call afterwards takes
    milliseconds. Keep one per model for the life of the process (the app keeps it with
    ``st.cache_resource``); :meth:`warm_up` does the tracing up front.

    Attributes:
        model: the Keras classifier (``Dense(4, softmax)`` named ``probabilities`` last).
        image_size: the side of its square input, in pixels.
        maps: every saliency method of lesson 07, compiled (:class:`CompiledMaps`).
    """

    def __init__(self, model: keras.Model) -> None:
        self.model = model
        self.image_size = int(model.input_shape[1])
        self.maps = CompiledMaps(model)
        # One pass gives the probabilities and the features the last layer reads, which
        # the out-of-distribution detector compares with the training scans'.
        parts = keras.Model(model.input, [model.output, score_layer(model).input])
        images = tf.TensorSpec([None, self.image_size, self.image_size, 3], tf.float32)
        self._forward = tf.function(
            lambda batch: parts(batch, training=False), input_signature=[images]
        )

    def predict(self, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(probabilities (n, 4), features (n, k))`` of a float32 batch in ``0..255``."""
        probabilities, features = self._forward(tf.convert_to_tensor(images, dtype=tf.float32))
        return probabilities.numpy(), features.numpy()

    def warm_up(self, methods: tuple[str, ...] = APP_METHODS) -> float:
        """Trace every compiled function once (on a black image); returns the seconds taken."""
        started = time.perf_counter()
        blank = np.zeros((1, self.image_size, self.image_size, 3), np.float32)
        self.predict(blank)
        for method in methods:
            self.maps(blank, method, np.zeros(1, np.int32))
        return time.perf_counter() - started


def card_reference(card: dict | None) -> dict | None:
    """What a report cites from a model card: enough to find the model and judge it."""
    if card is None:
        return None
    data = card.get("data", {})
    return {
        "name": card.get("name"),
        "architecture": card.get("architecture"),
        "created": card.get("created"),
        "profile": card.get("profile"),
        "image_size": card.get("image_size"),
        "data_fingerprint": data.get("fingerprint"),
        "data_images": data.get("images"),
        "metrics": card.get("metrics"),
    }


@dataclass(frozen=True)
class ScanAnalysis:
    """Everything the app shows about one scan and one model.

    Attributes:
        model_name: the model's name, e.g. ``"cnn_cpu"`` (for the report and the prompt).
        scan: the scan as the model takes it, ``uint8`` ``(size, size, 3)``: fitted into the
            model's square input and padded with black, as in training.
        probabilities: the softmax output ``(4,)``, in ``CLASS_NAMES`` order.
        saliency: the map of the predicted class by the chosen method.
        overlay: the scan with the map's colours, ``uint8`` RGB, drawn as lesson 07 does.
        summary: where the map's mass lies, or None when the map is zero everywhere.
        legend: what the overlay's colours mean.
        ood: whether the image looks like a brain MRI at all, and why not.
        plane: the slice plane the course's plane classifier sees (axial, coronal,
            sagittal), and ``plane_probabilities`` each plane's probability.
        cautions: where the measured evidence says to trust the prediction less
            (:mod:`mri_course.audit.caution`), in sentences shown beside it.
        calibrated_confidence: the predicted class's probability after the model's
            temperature, and ``prediction_set`` its 95% conformal prediction set (class
            names); None when the model's card records no calibration
            (:mod:`mri_course.evaluation.uncertainty`).
        prediction_ms: time of the forward pass (and the features), in milliseconds.
        saliency_ms: time of the map, its drawing and its summary, in milliseconds.
    """

    model_name: str
    scan: np.ndarray
    probabilities: np.ndarray
    saliency: SaliencyMap
    overlay: np.ndarray
    summary: RegionSummary | None
    legend: str
    ood: OodVerdict
    plane: str
    plane_probabilities: dict[str, float]
    cautions: tuple[str, ...]
    calibrated_confidence: float | None
    prediction_set: tuple[str, ...] | None
    prediction_ms: float
    saliency_ms: float

    @property
    def method(self) -> str:
        return self.saliency.method

    @property
    def ranking(self) -> list[int]:
        """Class indices from the most to the least likely."""
        return [int(k) for k in np.argsort(-self.probabilities, kind="stable")]

    @property
    def predicted_class(self) -> str:
        return CLASS_NAMES[self.ranking[0]]

    @property
    def confidence(self) -> float:
        return float(self.probabilities[self.ranking[0]])

    @property
    def shown_confidence(self) -> float:
        """The higher of the two confidences the app shows, the softmax and the calibrated
        one: a label-smoothed model's softmax stays short of 90% even when it is sure."""
        return max(self.confidence, self.calibrated_confidence or 0.0)

    @property
    def runner_up(self) -> str:
        return CLASS_NAMES[self.ranking[1]]

    @property
    def runner_up_probability(self) -> float:
        return float(self.probabilities[self.ranking[1]])

    @property
    def trusted(self) -> bool:
        """False when the image does not look like a brain MRI: then no label is trusted."""
        return self.ood.looks_like_mri

    def probabilities_by_class(self) -> dict[str, float]:
        return {name: float(p) for name, p in zip(CLASS_NAMES, self.probabilities, strict=True)}

    def facts(self) -> PredictionFacts:
        """The measured facts an explanation is built from (see :mod:`mri_course.explain`).

        Raises:
            EmptySaliencyError: the map is zero everywhere, so there is nothing to explain;
                another method usually has a map.
        """
        if self.summary is None:
            raise EmptySaliencyError(
                f"the {METHODS[self.method].title} map of this scan is zero everywhere, so "
                "there is no region to explain: choose another saliency method"
            )
        return PredictionFacts.from_prediction(
            self.probabilities,
            CLASS_NAMES,
            self.summary,
            self.legend,
            self.model_name,
            cautions=self.cautions,
            prediction_set=self.prediction_set or (),
            calibrated_confidence=self.calibrated_confidence,
        )

    def scan_png(self) -> bytes:
        return png_bytes(self.scan)

    def overlay_png(self) -> bytes:
        return png_bytes(self.overlay)

    def report_dict(
        self,
        explanation: Explanation | None = None,
        card: dict | None = None,
        scan_name: str | None = None,
        scan_notes: tuple[str, ...] = (),
    ) -> dict:
        """The downloadable report: plain JSON-ready values, with the not-a-diagnosis line."""
        return {
            "report": "mri-course scan analysis",
            "notice": NOT_A_DIAGNOSTIC_DEVICE,
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "scan": {
                "name": scan_name,
                "sha256_of_model_input": scan_key(self.scan),
                "conversions": list(scan_notes),
            },
            "model": {"name": self.model_name, "card": card_reference(card)},
            "prediction": {
                "class": self.predicted_class,
                "confidence": round(self.confidence, 6),
                "runner_up": self.runner_up,
                "runner_up_probability": round(self.runner_up_probability, 6),
                "trusted": self.trusted,
                "cautions": list(self.cautions),
                "calibrated_confidence": None
                if self.calibrated_confidence is None
                else round(self.calibrated_confidence, 6),
                "prediction_set_95": None
                if self.prediction_set is None
                else list(self.prediction_set),
            },
            "slice_plane": {
                "plane": self.plane,
                "probabilities": {k: round(v, 4) for k, v in self.plane_probabilities.items()},
            },
            "probabilities": {k: round(v, 6) for k, v in self.probabilities_by_class().items()},
            "saliency": {
                "method": self.method,
                "method_title": METHODS[self.method].title,
                "summary": None if self.summary is None else self.summary.to_dict(),
                "colour_legend": self.legend,
            },
            "out_of_distribution": {
                "looks_like_mri": self.ood.looks_like_mri,
                "reasons": list(self.ood.reasons),
                "feature_distance": self.ood.distance,
                "feature_threshold": self.ood.threshold,
            },
            "explanation": None if explanation is None else _explanation_dict(explanation),
            "timings_ms": {
                "prediction": round(self.prediction_ms, 1),
                "saliency": round(self.saliency_ms, 1),
            },
            "versions": {"mri_course": __version__},
        }


def _explanation_dict(explanation: Explanation) -> dict:
    return {
        "source": explanation.source,
        "heading": explanation.heading,
        "gemini_model": explanation.gemini_model,
        "notice": explanation.notice,
        "summary": explanation.summary,
        "regions": explanation.regions,
        "caveats": list(explanation.caveats),
    }


def _elapsed_ms(started: float) -> float:
    return 1000 * (time.perf_counter() - started)


def analyse_scan(
    model: CompiledModel | keras.Model,
    pixels: np.ndarray,
    method: str = "gradcam",
    model_name: str = "model",
    detector: FeatureDetector | None = None,
    uncertainty: Uncertainty | None = None,
) -> ScanAnalysis:
    """Classify one scan, map where the model looked, and check it looks like an MRI.

    Args:
        model: a :class:`CompiledModel` (fast: build it once per model), or a Keras
            classifier, compiled here for this one call (slow).
        pixels: the decoded scan, ``uint8`` RGB ``(height, width, 3)`` of any size, e.g.
            ``read_scan(data).pixels``.
        method: one of ``APP_METHODS`` (or ``"gradient"``).
        model_name: how the report and the explanation name the model.
        detector: the model's OOD feature detector (``<model>.ood.npz``), or None to run
            the image checks only.
        uncertainty: the model's temperature and conformal thresholds (its card's
            ``uncertainty``, :meth:`Uncertainty.from_dict`), or None to show neither.
    """
    compiled = model if isinstance(model, CompiledModel) else CompiledModel(model)
    started = time.perf_counter()
    scan = prepare_pixels(pixels, compiled.image_size)
    batch = scan[np.newaxis]
    probabilities, features = compiled.predict(batch)
    predicted = np.argmax(probabilities, axis=-1).astype(np.int32)
    prediction_ms = _elapsed_ms(started)
    plane, plane_probabilities = predict_plane(pixels)
    calibrated_confidence, prediction_set = None, None
    if uncertainty is not None:
        calibrated_confidence = float(uncertainty.calibrated(probabilities)[0, predicted[0]])
        in_set = uncertainty.sets(probabilities)[0]
        prediction_set = tuple(name for name, kept in zip(CLASS_NAMES, in_set, strict=True) if kept)

    started = time.perf_counter()
    raw = compiled.maps(batch, method, predicted)[0]
    saliency = SaliencyMap.drawn(method, scan, raw, predicted[0])
    try:
        summary = region_summary(saliency)
    except EmptySaliencyError:
        summary = None
    shown = np.uint8(scan)
    overlay = saliency_overlay(shown, saliency)
    saliency_ms = _elapsed_ms(started)

    return ScanAnalysis(
        model_name=model_name,
        scan=shown,
        probabilities=probabilities[0].astype(np.float64),
        saliency=saliency,
        overlay=overlay,
        summary=summary,
        legend=saliency_legend(saliency),
        ood=check_image(pixels, features, detector),
        plane=plane,
        plane_probabilities=plane_probabilities,
        cautions=cautions_for(
            lambda images: compiled.predict(images)[0],
            compiled.image_size,
            pixels,
            plane_probabilities,
            int(predicted[0]),
        ),
        calibrated_confidence=calibrated_confidence,
        prediction_set=prediction_set,
        prediction_ms=prediction_ms,
        saliency_ms=saliency_ms,
    )

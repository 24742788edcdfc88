"""Fit the second stage's query adapter (:mod:`index.adapter`) on labelled questions.

The loss is a softmax over every clause of the index and over every sentence vector (a question
should be nearer its gold clauses — and their sentences — than every other one), temperature
0.05, plus ``ridge`` × (‖U‖² + ‖V‖²)/2 so the map stays near the identity; Adam, full batch.
The settings were chosen on the dev split (library: rank 32 and ridge 0.01 kept the gains of a
full-rank map on the plan's colloquial questions, with a sixth of its size; the out-of-scope
weight 20 of 0/5/20/50 by 5-fold out-of-fold clause MRR — plan 0.616 → 0.637, laws 0.468 → 0.541
against no penalty — and the best match's softmax share of out-of-scope questions, 0.027 → 0.010).
torch is needed for training only.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from index.adapter import QueryAdapter

RANK = 32
RIDGE = 1e-2
TEMPERATURE = 0.05
EPOCHS = 200
LEARNING_RATE = 1e-3
#: Weight of the out-of-scope penalty (per unit of softmax share the best match gains).
OUT_OF_SCOPE_WEIGHT = 20.0


def _peak(questions, vectors):
    """How much of each question's softmax over ``vectors`` its best match takes (1 = one clause
    stands out alone): what the map must not raise for a question no clause answers."""
    import torch

    return torch.softmax(questions @ vectors.T / TEMPERATURE, 1).max(1).values


def fit_adapter(index, questions: Sequence[np.ndarray], gold_rows: Sequence[Sequence[int]], rank: int = RANK,
                ridge: float = RIDGE, epochs: int = EPOCHS, seed: int = 0,
                out_of_scope: Sequence[np.ndarray] = ()) -> QueryAdapter:
    """An adapter for ``index`` (its clause and sentence vectors) from question vectors and the
    rows of each question's gold records (questions without gold rows are left out).

    ``out_of_scope``: vectors of questions no clause answers; the map is penalized for making one
    clause stand out for them more than it did (the share of the softmax their best match takes
    may not rise), so a question about the weather in 兰州 is not moved towards the clause that
    names 兰州."""
    import torch

    keep = [i for i, rows in enumerate(gold_rows) if len(rows)]
    n = len(index.records)
    clause = torch.tensor(np.asarray(index.clauses.vectors, np.float32))
    q = torch.tensor(np.asarray([questions[i] for i in keep], np.float32))
    positive = torch.zeros(len(keep), n, dtype=torch.bool)
    for a, i in enumerate(keep):
        positive[a, list(gold_rows[i])] = True
    targets = [(clause, positive)]
    if index.sentences is not None and len(index.sentence_rows):
        targets.append((torch.tensor(np.asarray(index.sentences.vectors, np.float32)),
                        positive[:, torch.as_tensor(np.asarray(index.sentence_rows, np.int64))]))
    # a question whose gold clauses have no sentence vectors (one-sentence clauses) has no
    # positive among the sentences: it is left out of that term, not pushed from every sentence
    answered = [pos.any(1) for _, pos in targets]
    far = torch.tensor(np.asarray(out_of_scope, np.float32).reshape(len(out_of_scope), clause.shape[1]))
    far_before = [_peak(far, vectors) for vectors, _ in targets] if len(far) else []
    dim = clause.shape[1]
    generator = torch.Generator().manual_seed(seed)
    u = (torch.randn(dim, rank, generator=generator) * 0.01).requires_grad_()
    v = torch.zeros(dim, rank, requires_grad=True)
    optimizer = torch.optim.Adam([u, v], lr=LEARNING_RATE)
    for _ in range(epochs):
        moved = q + (q @ u) @ v.T
        moved = moved / moved.norm(dim=1, keepdim=True)
        loss = ridge * ((u ** 2).sum() + (v ** 2).sum()) / 2
        for (vectors, pos), has in zip(targets, answered):
            logits = moved[has] @ vectors.T / TEMPERATURE
            gold = torch.logsumexp(logits.masked_fill(~pos[has], float("-inf")), 1)
            loss = loss - (gold - torch.logsumexp(logits, 1)).mean()
        if len(far):
            moved_far = far + (far @ u) @ v.T
            moved_far = moved_far / moved_far.norm(dim=1, keepdim=True)
            for (vectors, _), before in zip(targets, far_before):
                rise = _peak(moved_far, vectors) - before
                loss = loss + OUT_OF_SCOPE_WEIGHT * torch.relu(rise).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return QueryAdapter(u.detach().numpy(), v.detach().numpy(),
                        {"rank": rank, "ridge": ridge, "epochs": epochs, "questions": len(keep),
                         "out_of_scope": len(far)})

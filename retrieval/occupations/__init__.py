"""Similar-occupation recommendation: corpus, pairwise features, candidates, learning to rank."""

"""Training scripts (trl, sentence-transformers, SetFit) and their dataset builders."""

"""Skills: the graph, skill extraction, skill gaps, career paths and the evidence built from them.

Every explanation Waypoint gives stands on these results, so the modules here only ever return the
catalogue's own ids and labels, with the span or catalogue row each claim came from.

Modules: ``extract`` (free text → skills), ``graph`` (skills graph + co-occurrence relatedness),
``esco_map`` (O*NET → ESCO occupations), ``gap`` (profile vs occupation/posting), ``paths`` (career
transitions), ``evidence`` (typed, stably-identified evidence objects), ``commands`` (CLI entry points).
"""

"""Understanding the person: free text and résumés → occupations, skills and goals with provenance.

``from retrieval.understanding.service import understand``; the contract is in :mod:`.schema`.
"""

"""Index: chunks of every note, their embeddings in Chroma and their keyword tokens."""
